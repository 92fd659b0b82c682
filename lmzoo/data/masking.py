"""BERT's masked-LM targets: 15% of real word pieces, the 80/10/10 rule."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="lmzoo")
class MaskedLMMasker(keras.layers.Layer):
    """Chooses word pieces for BERT to predict and hides them.

    In each row, `round(rate * n)` of the `n` selectable pieces are chosen
    (at least one): real tokens that are not `unselectable_ids` (`[CLS]`,
    `[SEP]`), never padding. Of the chosen, `mask_rate` become `[MASK]`,
    `random_rate` a random id, and the rest stay as they are (Devlin et al.,
    2019). The randomness is stateless: the same `seed` gives the same
    choice, so a pipeline that draws a new seed per element and per epoch
    (`masked_lm_dataset`) masks differently on each pass and reproducibly.

    Args:
        vocabulary_size: int. Random replacements are drawn from
            `[0, vocabulary_size)`, skipping `unselectable_ids` and the mask.
        mask_token_id: int. The `[MASK]` id.
        unselectable_ids: ids never chosen (`[CLS]`, `[SEP]`).
        rate: float. Share of selectable pieces chosen. Defaults to `0.15`.
        mask_rate: float. Share of the chosen made `[MASK]`. Defaults to `0.8`.
        random_rate: float. Share of the chosen made random. Defaults to `0.1`.
        **kwargs: other `keras.layers.Layer` arguments.

    Call arguments:
        features: a dict with `token_ids` and `padding_mask` (`[B, T]`), as
            `BertPreprocessor` returns it; other keys pass through.
        seed: int32 `[2]` tensor for the stateless random ops.

    Returns:
        `(features, labels, sample_weight)`: `features` with the hidden
        `token_ids`, `labels` the original ids `[B, T]`, `sample_weight`
        float32 `[B, T]`, 1 at the chosen positions and 0 elsewhere.

    Example:
    >>> masker = MaskedLMMasker(10, mask_token_id=4, unselectable_ids=[2, 3],
    ...     rate=0.5, mask_rate=1.0, random_rate=0.0)
    >>> ids = tf.constant([[2, 5, 6, 7, 8, 3, 0, 0]])
    >>> features, labels, weights = masker(
    ...     {"token_ids": ids, "padding_mask": ids > 0}, seed=tf.constant([1, 2]))
    >>> int(tf.reduce_sum(weights)), features["token_ids"].numpy()[0, [0, 5]].tolist()
    (2, [2, 3])
    >>> bool(tf.reduce_all((features["token_ids"] == 4) == (weights > 0)))
    True
    """

    def __init__(
        self,
        vocabulary_size,
        mask_token_id,
        unselectable_ids=(),
        rate=0.15,
        mask_rate=0.8,
        random_rate=0.1,
        **kwargs,
    ):
        kwargs.setdefault("trainable", False)
        super().__init__(**kwargs)
        for name, value in [("rate", rate), ("mask_rate", mask_rate)]:
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}.")
        if not 0.0 <= random_rate <= 1.0 - mask_rate + 1e-9:
            raise ValueError(
                f"random_rate must be in [0, 1 - mask_rate], got {random_rate}."
            )
        self.vocabulary_size = int(vocabulary_size)
        self.mask_token_id = int(mask_token_id)
        self.unselectable_ids = [int(i) for i in unselectable_ids]
        self.rate = rate
        self.mask_rate = mask_rate
        self.random_rate = random_rate
        self.built = True

    def call(self, features, seed):
        ids = tf.convert_to_tensor(features["token_ids"])
        real = tf.cast(features["padding_mask"], tf.bool)
        special = [*self.unselectable_ids, self.mask_token_id]
        selectable = real & ~tf.reduce_any(ids[..., None] == special, axis=-1)
        seeds = tf.random.experimental.stateless_split(seed, 3)
        scores = tf.random.stateless_uniform(tf.shape(ids), seeds[0])
        scores = tf.where(selectable, scores, -1.0)
        count = tf.reduce_sum(tf.cast(selectable, tf.float32), axis=-1)
        quota = tf.where(count > 0, tf.maximum(tf.round(self.rate * count), 1.0), 0.0)
        rank = tf.argsort(tf.argsort(scores, axis=-1, direction="DESCENDING"), axis=-1)
        chosen = selectable & (tf.cast(rank, tf.float32) < quota[..., None])

        action = tf.random.stateless_uniform(tf.shape(ids), seeds[1])
        random_ids = self._random_ids(tf.shape(ids), seeds[2], special)
        hidden = tf.where(action < self.mask_rate, self.mask_token_id, ids)
        replace = (action >= self.mask_rate) & (
            action < self.mask_rate + self.random_rate
        )
        hidden = tf.where(replace, random_ids, hidden)
        features = dict(features)
        features["token_ids"] = tf.where(chosen, hidden, ids)
        return features, ids, tf.cast(chosen, tf.float32)

    def _random_ids(self, shape, seed, excluded):
        """Uniform ids over the vocabulary without `excluded`."""
        allowed = tf.constant(
            [i for i in range(self.vocabulary_size) if i not in set(excluded)],
            tf.int32,
        )
        index = tf.random.stateless_uniform(
            shape, seed, maxval=tf.shape(allowed)[0], dtype=tf.int32
        )
        return tf.gather(allowed, index)

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "mask_token_id": self.mask_token_id,
            "unselectable_ids": self.unselectable_ids,
            "rate": self.rate,
            "mask_rate": self.mask_rate,
            "random_rate": self.random_rate,
        }


def masked_lm_dataset(batches, masker, seed=0):
    """Masks a dataset of packed batches anew on every pass, reproducibly.

    Each element gets its own seed from `tf.data.Dataset.random(seed,
    rerandomize_each_iteration=True)`: a second epoch masks differently from
    the first, and the same `seed` gives the same epochs again.

    Args:
        batches: a `tf.data.Dataset` of feature dicts (`BertPreprocessor`
            output, batched), or of `(features, next_sentence_labels)`.
        masker: a `MaskedLMMasker`.
        seed: int.

    Returns:
        A `tf.data.Dataset` of `(features, labels, sample_weight)`. With
        next-sentence labels, `labels` and `sample_weight` are dicts keyed
        by `BertPretrainer`'s outputs, `"mlm_logits"` and `"nsp_logits"`.

    Example:
    >>> masker = MaskedLMMasker(10, mask_token_id=4, unselectable_ids=[2, 3])
    >>> ids = tf.constant([[2, 5, 6, 7, 8, 9, 5, 3]] * 4)
    >>> batches = tf.data.Dataset.from_tensors(
    ...     {"token_ids": ids, "padding_mask": ids > 0})
    >>> dataset = masked_lm_dataset(batches, masker, seed=7)
    >>> first, second = [next(iter(dataset))[2] for _ in range(2)]
    >>> bool(tf.reduce_all(first == second))
    False
    """

    def mask(element, pair):
        seed = tf.cast(pair, tf.int32)
        if not isinstance(element, tuple):
            return masker(element, seed=seed)
        features, next_sentence = element
        features, labels, weights = masker(features, seed=seed)
        return (
            features,
            {"mlm_logits": labels, "nsp_logits": next_sentence},
            {
                "mlm_logits": weights,
                "nsp_logits": tf.ones_like(next_sentence, tf.float32),
            },
        )

    seeds = tf.data.Dataset.random(seed, rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip(batches, seeds).map(
        mask, num_parallel_calls=tf.data.AUTOTUNE
    )
