"""The torch side: data modules, the network, training, weights, compression stage, export, latency.

Imports dse.core only; knows nothing of Optuna or the store.
"""
