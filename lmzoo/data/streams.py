"""Parallel token streams for stateful (truncated-BPTT) recurrent training."""

import numpy as np
import tensorflow as tf


def stateful_streams(token_ids, batch_size, sequence_length, start_token=None):
    """Lays a split out as `batch_size` contiguous streams, cut into windows.

    Row `i` of batch `k + 1` continues row `i` of batch `k` exactly where it
    stopped, so a stateful LSTM can carry its state from one batch to the next
    (truncated backpropagation through time, Zaremba et al. 2014). This
    differs from `language_model_dataset(shuffle=True)`, whose windows are
    independent and start anywhere, so their state must start from zero.

    Every target of the split appears exactly once: the streams are padded at
    the end and the dataset yields `(inputs, targets, sample_weight)` with
    weight 0 on the padding.

    Args:
        token_ids: 1-D int array of one split.
        batch_size: int. Number of parallel streams.
        sequence_length: int. Unrolled steps per batch.
        start_token: optional int placed before the split, so that its first
            token is predicted too (`<eos>` for PTB: the split starts at a
            sentence boundary). Without it the first token is context only.

    Returns:
        A `tf.data.Dataset` of int32 `[batch_size, sequence_length]` inputs and
        targets and float32 weights, in stream order (never shuffle it).

    Example:
    >>> ds = stateful_streams(np.arange(1, 41), batch_size=2, sequence_length=5)
    >>> [x.numpy()[:, 0].tolist() for x, _, _ in ds]
    [[1, 21], [6, 26], [11, 31], [16, 36]]
    """
    token_ids = np.asarray(token_ids, np.int32)
    if start_token is not None:
        token_ids = np.concatenate([[start_token], token_ids]).astype(np.int32)
    num_targets = len(token_ids) - 1
    if num_targets < 1:
        raise ValueError("The split needs at least two tokens.")
    window = batch_size * sequence_length
    num_batches = -(-num_targets // window)
    size = num_batches * window

    def laid_out(values, dtype):
        padded = np.zeros(size, dtype)
        padded[: len(values)] = values
        streams = padded.reshape(batch_size, num_batches * sequence_length)
        return streams.reshape(batch_size, num_batches, sequence_length).swapaxes(0, 1)

    inputs = laid_out(token_ids[:-1], np.int32)
    targets = laid_out(token_ids[1:], np.int32)
    weights = laid_out(np.ones(num_targets, np.float32), np.float32)
    return tf.data.Dataset.from_tensor_slices((inputs, targets, weights))
