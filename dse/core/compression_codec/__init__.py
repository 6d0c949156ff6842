"""Deep Compression's encoding core (Han, Mao, Dally, ICLR 2016): prune, share, Huffman-code.

The three steps, each in its own module, and two formats built on them:

- _prune: magnitude pruning, per layer (prune_mask) or with one threshold (global_masks);
- _kmeans: weight sharing by 1-D k-means with linear initialisation (share_weights);
- _huffman: canonical Huffman coding of integer symbols (huffman_encode, huffman_decode);
- _sparse: one layer as bytes: compacted codebook, Huffman-coded cluster indices and
  Huffman-coded position gaps with zero fillers (encode_layer, decode_layer, quantised);
- _container: a network as bytes: a JSON header, then sparse layers and raw float32 dense
  tensors (encode_network, decode_network, network_header).

Sizes are measured, never estimated: a layer's or a network's compressed size is len() of
its bytes. Pure numpy and the standard library; nothing here imports a training framework.
"""

from __future__ import annotations

from dse.core.compression_codec._container import decode_network, encode_network, network_header
from dse.core.compression_codec._huffman import (
    canonical_codes,
    huffman_decode,
    huffman_encode,
    huffman_lengths,
)
from dse.core.compression_codec._kmeans import MAX_BITS, assign, linear_centroids, share_weights
from dse.core.compression_codec._prune import global_masks, keep_count, prune_mask
from dse.core.compression_codec._sparse import Sharing, decode_layer, encode_layer, quantised

__all__ = ["MAX_BITS", "Sharing", "assign", "canonical_codes", "decode_layer", "decode_network",
           "encode_layer", "encode_network", "global_masks", "huffman_decode", "huffman_encode",
           "huffman_lengths", "keep_count", "linear_centroids", "network_header", "prune_mask",
           "quantised", "share_weights"]
