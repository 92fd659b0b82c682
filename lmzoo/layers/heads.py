"""Output heads that task models put on top of a backbone."""

from keras import ops


def tied_logits(hidden, embeddings):
    """Projects hidden states onto a token embedding matrix: the tied LM head.

    Reusing the input embedding as the output layer (Press & Wolf, 2017) saves
    `vocabulary_size * width` parameters and trains better on small data.

    Args:
        hidden: `[..., width]` tensor.
        embeddings: `[vocabulary_size, width]` embedding matrix (a variable).

    Returns:
        `[..., vocabulary_size]` float32 logits, whatever the compute dtype.

    Example:
    >>> tied_logits(ops.ones((1, 2, 3)), ops.eye(3)).numpy().tolist()
    [[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]
    """
    embeddings = ops.cast(embeddings, hidden.dtype)
    return ops.cast(ops.matmul(hidden, ops.transpose(embeddings)), "float32")
