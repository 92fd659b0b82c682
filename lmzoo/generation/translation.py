"""`model.translate(...)` for encoder-decoders: strings in, strings out."""

import numpy as np
import tensorflow as tf

from lmzoo.data.batching import sorted_batches
from lmzoo.generation.decoding import Generator
from lmzoo.generation.samplers import SamplerConfig


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
        >>> from lmzoo.data.sentencepiece import SentencePieceTokenizer
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
