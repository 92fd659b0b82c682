"""In-graph token samplers: greedy, temperature, top-k and top-p."""

import dataclasses

import tensorflow as tf

from lmzoo.layers.masks import MASKED_LOGIT


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
    """How the next token is chosen from the logits.

    Args:
        strategy: `"greedy"`, `"sample"` or `"beam"`.
        temperature: float > 0, divides the logits before sampling.
        top_k: optional int. Sample among the `top_k` most likely tokens.
        top_p: optional float in (0, 1]. Sample among the smallest set of
            tokens whose probability reaches `top_p` (nucleus sampling).
        num_beams: int. Beam width for `"beam"`.
        length_penalty: float. Beam scores are divided by
            `generated_length ** length_penalty`.
        suppressed_token_ids: ids never chosen (such as the `<unk>` id).

    Example:
    >>> SamplerConfig("sample", temperature=0.8, top_k=40).strategy
    'sample'
    """

    strategy: str = "greedy"
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    num_beams: int = 4
    length_penalty: float = 1.0
    suppressed_token_ids: tuple = ()

    def __post_init__(self):
        if self.strategy not in ("greedy", "sample", "beam"):
            raise ValueError(
                f"Unknown strategy {self.strategy!r}; use 'greedy', 'sample' or 'beam'."
            )
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}.")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}.")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}.")
        if self.num_beams < 1:
            raise ValueError(f"num_beams must be >= 1, got {self.num_beams}.")


def suppress_tokens(logits, token_ids):
    """Gives the listed ids a large negative logit, so they are never chosen.

    Args:
        logits: `[B, V]` float32 tensor.
        token_ids: tuple of ints.

    Returns:
        `[B, V]` float32 tensor.

    Example:
    >>> suppress_tokens(tf.constant([[3.0, 1.0]]), (0,)).numpy().tolist()
    [[-1000000000.0, 1.0]]
    """
    if not token_ids:
        return logits
    vocabulary_size = logits.shape[-1] or tf.shape(logits)[-1]
    banned = tf.reduce_any(
        tf.one_hot(list(token_ids), vocabulary_size, on_value=True, off_value=False),
        axis=0,
    )
    return tf.where(banned[None, :], MASKED_LOGIT, logits)


def filter_logits(logits, top_k=None, top_p=None):
    """Masks the logits outside the top-k / top-p set with a large negative value.

    Args:
        logits: `[B, V]` float32 tensor.
        top_k: optional int.
        top_p: optional float.

    Returns:
        `[B, V]` float32 tensor.

    Example:
    >>> filter_logits(tf.constant([[1.0, 3.0, 2.0]]), top_k=2).numpy().tolist()
    [[-1000000000.0, 3.0, 2.0]]
    """
    if top_k is not None and top_k < logits.shape[-1]:
        kth_largest = tf.math.top_k(logits, k=top_k).values[:, -1:]
        logits = tf.where(logits < kth_largest, MASKED_LOGIT, logits)
    if top_p is not None and top_p < 1.0:
        sorted_logits = tf.sort(logits, axis=-1, direction="DESCENDING")
        probabilities = tf.nn.softmax(sorted_logits, axis=-1)
        mass_before = tf.cumsum(probabilities, axis=-1, exclusive=True)
        kept = tf.where(mass_before < top_p, sorted_logits, tf.float32.max)
        threshold = tf.reduce_min(kept, axis=-1, keepdims=True)
        logits = tf.where(logits < threshold, MASKED_LOGIT, logits)
    return logits


def next_tokens(logits, config, seed):
    """Picks one token per row.

    Args:
        logits: `[B, V]` float32 tensor.
        config: `SamplerConfig` (greedy or sample).
        seed: `[2]` int32 tensor for stateless sampling.

    Returns:
        `[B]` int32 token ids.

    Example:
    >>> next_tokens(tf.constant([[0.0, 2.0]]), SamplerConfig(), tf.constant([0, 0]))
    <tf.Tensor: shape=(1,), dtype=int32, numpy=array([1], dtype=int32)>
    """
    logits = suppress_tokens(logits, config.suppressed_token_ids)
    if config.strategy == "greedy":
        return tf.argmax(logits, axis=-1, output_type=tf.int32)
    logits = filter_logits(logits / config.temperature, config.top_k, config.top_p)
    return tf.random.stateless_categorical(logits, 1, seed, dtype=tf.int32)[:, 0]


def sample_or_argmax(logits, temperature, top_k, seed, suppressed_token_ids=()):
    """`next_tokens` with its settings as tensors, for an exported signature.

    `temperature` 0 picks the most likely token; above 0 it samples from the
    logits divided by it, among the `top_k` most likely tokens (0: all).
    The same settings and seed choose what `next_tokens` chooses.

    Args:
        logits: `[B, V]` float32 tensor.
        temperature: scalar float32 tensor, >= 0.
        top_k: scalar int32 tensor, >= 0.
        seed: `[2]` int32 tensor for stateless sampling.
        suppressed_token_ids: tuple of ids never chosen.

    Returns:
        `[B]` int32 token ids.

    Example:
    >>> logits = tf.constant([[0.0, 2.0, 1.0]])
    >>> sample_or_argmax(logits, 0.0, 0, tf.constant([0, 0])).numpy().tolist()
    [1]
    >>> sample_or_argmax(logits, 1.0, 1, tf.constant([0, 0])).numpy().tolist()
    [1]
    """
    logits = suppress_tokens(logits, suppressed_token_ids)
    temperature = tf.cast(temperature, tf.float32)

    def sample():
        scaled = logits / temperature
        vocabulary_size = tf.shape(scaled)[-1]
        k = tf.where(top_k > 0, tf.minimum(top_k, vocabulary_size), vocabulary_size)
        descending = tf.sort(scaled, axis=-1, direction="DESCENDING")
        kth_largest = tf.gather(descending, [k - 1], axis=-1)
        filtered = tf.where(scaled < kth_largest, MASKED_LOGIT, scaled)
        return tf.random.stateless_categorical(filtered, 1, seed, dtype=tf.int32)[:, 0]

    return tf.cond(
        temperature > 0,
        sample,
        lambda: tf.argmax(logits, axis=-1, output_type=tf.int32),
    )
