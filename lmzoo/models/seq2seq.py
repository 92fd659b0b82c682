"""The encoder-decoder Transformer for translation: the task and `translate`.

`TranslationMixin` holds what decoding a translation needs (encode once,
greedy or beam search through the shared generation loop, strings out); it is
kept apart from the task's training code so that each reads on its own.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from lmzoo.data.batching import sorted_batches
from lmzoo.generation.decoding import Generator
from lmzoo.generation.samplers import SamplerConfig
from lmzoo.models.seq2seq_backbone import Seq2SeqBackbone
from lmzoo.models.task import Task, backbone_from


class TranslationMixin:
    """Adds `translate` to an encoder-decoder task.

    The task needs a `backbone` with `encode(token_ids, padding_mask)`, the
    generation hook (`init_cache` taking `encoder_outputs`, `decode_step`), a
    `max_sequence_length`, and a `preprocessor` with `encode_source` and a
    `target_tokenizer` (a `TranslationPreprocessor`).
    """

    def translation_preprocessor(self):
        """The model's preprocessor, which translation needs.

        Returns:
            The `TranslationPreprocessor`.

        Raises:
            ValueError: the model has none.
        """
        if self.preprocessor is None:
            raise ValueError(
                "This model has no TranslationPreprocessor: it cannot read strings."
            )
        return self.preprocessor

    def encode(self, token_ids, padding_mask):
        """The encoder outputs for a batch of sources, compiled with XLA.

        Args:
            token_ids: `[B, S]` ints.
            padding_mask: `[B, S]` bools.

        Returns:
            `[B, S, hidden_dim]` tensor.
        """
        if getattr(self, "_encoder", None) is None:
            self._encoder = tf.function(
                lambda ids, mask: self.backbone.encode(ids, mask), jit_compile=True
            )
        return self._encoder(
            tf.constant(token_ids, tf.int32), tf.constant(padding_mask, tf.bool)
        )

    def translate_ids(
        self,
        features,
        strategy="beam",
        num_beams=4,
        length_penalty=1.0,
        max_new_tokens=None,
        batch_size=64,
    ):
        """Target ids for packed sources, decoded batch by batch, longest first.

        Args:
            features: dict of `[N, S]` NumPy arrays `"encoder_token_ids"` and
                `"encoder_padding_mask"` (a preprocessor's `encode_source`).
            strategy: `"greedy"` or `"beam"`. Defaults to `"beam"`.
            num_beams: int. Defaults to `4`.
            length_penalty: float. Beam scores are divided by
                `length ** length_penalty`. Defaults to `1.0`.
            max_new_tokens: optional int. Defaults to the longest target the
                model takes.
            batch_size: int. Defaults to `64`.

        Returns:
            list of N lists of target ids (without `<s>` and `</s>`).
        """
        if strategy not in ("greedy", "beam"):
            raise ValueError(f"strategy must be 'greedy' or 'beam', got {strategy!r}.")
        target = self.translation_preprocessor().target_tokenizer
        config = SamplerConfig(
            strategy,
            num_beams=num_beams,
            length_penalty=length_penalty,
            suppressed_token_ids=(target.oov_id, target.start_id, 0),
        )
        max_new_tokens = max_new_tokens or self.max_sequence_length - 1
        if not self.built:
            self.build()
        if getattr(self, "_generator", None) is None:
            self._generator = Generator(self)
        packed = {
            "token_ids": np.asarray(features["encoder_token_ids"]),
            "padding_mask": np.asarray(features["encoder_padding_mask"]),
        }
        results = [None] * len(packed["token_ids"])
        for rows, batch in sorted_batches(packed, batch_size, 8, fill_last=True):
            encoded = self.encode(batch["token_ids"], batch["padding_mask"])
            output = self._generator(
                np.full((len(encoded), 1), target.start_id, np.int32),
                config,
                max_new_tokens,
                stop_token_ids=(target.end_id,),
                seed=0,
                encoder_outputs=encoded,
                encoder_padding_mask=batch["padding_mask"],
            )
            for row, ids, length in zip(
                rows, output["token_ids"], output["lengths"], strict=False
            ):
                results[row] = [int(t) for t in ids[1:length] if t != target.end_id]
        return results

    def translate(
        self,
        sources,
        strategy="beam",
        num_beams=4,
        length_penalty=1.0,
        max_new_tokens=None,
        batch_size=64,
    ):
        """Translates source strings.

        Args:
            sources: a string or a list of strings.
            strategy: `"greedy"` or `"beam"`. Defaults to `"beam"`.
            num_beams: int. Beam width. Defaults to `4`.
            length_penalty: float. Defaults to `1.0`.
            max_new_tokens: optional int. Longest translation, in pieces.
            batch_size: int. Sources decoded together. Defaults to `64`.

        Returns:
            A string, or a list of strings.

        Example:
        >>> from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
        >>> from lmzoo.data.translation import TranslationPreprocessor
        >>> from lmzoo.models import Seq2SeqTransformer
        >>> tokenizer = SentencePieceTokenizer.train(["hola", "adios"] * 9, 20)
        >>> model = Seq2SeqTransformer(
        ...     tokenizer.vocabulary_size, num_layers=1, hidden_dim=8, num_heads=2,
        ...     max_sequence_length=16,
        ...     preprocessor=TranslationPreprocessor(tokenizer, tokenizer, 16))
        >>> type(model.translate("hola", max_new_tokens=3))
        <class 'str'>
        """
        single = isinstance(sources, str)
        texts = [sources] if single else list(sources)
        features = self.translation_preprocessor().encode_source(tf.constant(texts))
        features = {key: value.numpy() for key, value in features.items()}
        ids = self.translate_ids(
            features, strategy, num_beams, length_penalty, max_new_tokens, batch_size
        )
        tokenizer = self.preprocessor.target_tokenizer
        translations = [tokenizer.decode(row) for row in ids]
        return translations[0] if single else translations


@keras.saving.register_keras_serializable(package="lmzoo")
class Seq2SeqTransformer(TranslationMixin, Task):
    """Translation model: a `Seq2SeqBackbone` and an output projection tied to
    the target embedding.

    With a `TranslationPreprocessor`, `fit(sources, targets)` takes strings
    and `translate` maps source strings to target strings through lmzoo's
    cached, XLA-compiled decoding loop (greedy or batched beam search).

    Args:
        vocabulary_size: int. The backbone's, when no `backbone` is given.
        backbone: optional `Seq2SeqBackbone`.
        preprocessor: optional `TranslationPreprocessor`.
        name: optional str.
        trainable: bool. Defaults to `True`.
        **backbone_arguments: other `Seq2SeqBackbone` arguments.

    Call arguments:
        inputs: the backbone's dict.
        training: bool.

    Returns:
        `[B, T, target_vocabulary_size]` float32 logits.

    Example:
    >>> model = Seq2SeqTransformer(30, num_layers=1, hidden_dim=16, num_heads=2)
    >>> model({"encoder_token_ids": keras.ops.ones((2, 5), "int32"),
    ...        "decoder_token_ids": keras.ops.ones((2, 3), "int32")}).shape
    TensorShape([2, 3, 30])
    """

    prefers_jit_compile = True

    def __init__(
        self,
        vocabulary_size=None,
        backbone=None,
        preprocessor=None,
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        if vocabulary_size is not None:
            backbone_arguments["vocabulary_size"] = vocabulary_size
        backbone = backbone_from(Seq2SeqBackbone, backbone, backbone_arguments)
        super().__init__(backbone, preprocessor, name=name, trainable=trainable)

    def build(self, input_shape=None):
        self.backbone.build()
        self.built = True

    def build_from_config(self, config):
        self.build()

    @property
    def max_sequence_length(self):
        """Longest source and target (the backbone's)."""
        return self.backbone.max_sequence_length

    def call(self, inputs, training=None):
        hidden = self.backbone(inputs, training=training)
        return self.backbone.decoder_embedding.attend(hidden)

    def id_limits(self):
        """The vocabulary size of each id input (source and target).

        Returns:
            dict of input key -> number of ids.
        """
        return {
            "encoder_token_ids": self.backbone.vocabulary_size,
            "decoder_token_ids": self.backbone.target_vocabulary_size,
        }

    def init_cache(
        self,
        batch_size,
        max_length=None,
        encoder_outputs=None,
        encoder_padding_mask=None,
    ):
        """The generation hook: the cache for a batch of encoded sources.

        Args:
            batch_size: int.
            max_length: int. Target positions. Defaults to `max_sequence_length`.
            encoder_outputs: `[batch_size, S, hidden_dim]` (required).
            encoder_padding_mask: optional `[batch_size, S]` bool.

        Returns:
            The backbone's cache.
        """
        if encoder_outputs is None:
            raise ValueError(
                "Seq2SeqTransformer decodes from a source: pass encoder_outputs."
            )
        if max_length is None:
            max_length = self.max_sequence_length
        return self.backbone.init_cache(
            batch_size, max_length, encoder_outputs, encoder_padding_mask
        )

    def decode_step(self, token_ids, cache, cache_update_index):
        """The generation hook: logits for new target tokens, and the cache.

        Args:
            token_ids: `[B, T]` ints at positions `cache_update_index ...`.
            cache: from `init_cache` or a previous step.
            cache_update_index: int or scalar tensor.

        Returns:
            `(logits [B, T, V] float32, updated cache)`.
        """
        hidden, cache = self.backbone.call_with_cache(
            token_ids, cache, cache_update_index
        )
        return self.backbone.decoder_embedding.attend(hidden), cache

    def cross_attention(self, source, translation=None, layer=-1):
        """The cross-attention weights of one sentence's translation.

        Args:
            source: str.
            translation: optional str; defaults to the model's beam-search
                translation of `source`.
            layer: int. Which decoder block. Defaults to the last.

        Returns:
            dict: `"source_tokens"` and `"target_tokens"` (the pieces, with
            `</s>`), and `"weights"`, a `[heads, target, source]` NumPy array
            whose rows sum to 1: how much each target piece, as it was
            predicted, looked at each source piece.
        """
        preprocessor = self.translation_preprocessor()
        if translation is None:
            translation = self.translate(source)
        features, labels, weights = preprocessor([source], [translation])
        source_length = int(
            tf.reduce_sum(tf.cast(features["encoder_padding_mask"], "int32"))
        )
        target_length = int(tf.reduce_sum(weights))
        encoded = self.backbone.encode(features["encoder_token_ids"][:, :source_length])
        _, attention = self.backbone.decode(
            features["decoder_token_ids"][:, :target_length],
            encoded,
            return_cross_attention_weights=True,
        )
        return {
            "source_tokens": preprocessor.source_tokenizer.pieces(
                features["encoder_token_ids"][0, :source_length]
            ),
            "target_tokens": preprocessor.target_tokenizer.pieces(
                labels[0, :target_length]
            ),
            "weights": ops.convert_to_numpy(attention[layer][0]),
        }
