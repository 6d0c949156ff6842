"""The pure core: metaparameters, expansion, exact accounting, typed config, records, the codec.

Nothing under dse.core imports torch, Optuna, Lightning, SQLAlchemy or Hydra (tests/test_layers.py).
"""
