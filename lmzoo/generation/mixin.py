"""`model.generate(...)` for every lmzoo decoder."""

import warnings

from lmzoo.generation.decoding import Generator
from lmzoo.generation.samplers import SamplerConfig


class GenerationMixin:
    """Adds `generate` to a task that implements `init_cache` and `decode_step`.

    The task needs a `tokenizer` attribute (`None` when it has none) for text
    prompts.
    """

    def generate(
        self,
        prompts,
        max_new_tokens=64,
        strategy="greedy",
        temperature=1.0,
        top_k=None,
        top_p=None,
        num_beams=4,
        length_penalty=1.0,
        stop_token_ids=None,
        seed=None,
        padding_mask=None,
        allow_unknown=False,
    ):
        """Continues prompts with a cached, XLA-compiled decoding loop.

        Args:
            prompts: a string or list of strings (through the model's
                tokenizer), or token ids: `[B, T]` (left- or right-padded, with
                `padding_mask`) or a list of id lists of different lengths.
            max_new_tokens: int. Tokens to add per row. Defaults to `64`.
            strategy: `"greedy"`, `"sample"` or `"beam"`. Defaults to `"greedy"`.
            temperature: float. For `"sample"`. Defaults to `1.0`.
            top_k: optional int. For `"sample"`.
            top_p: optional float. For `"sample"` (nucleus sampling).
            num_beams: int. For `"beam"`. Defaults to `4`.
            length_penalty: float. For `"beam"`. Defaults to `1.0`.
            stop_token_ids: ints; a row ends after emitting one of them.
                Defaults to the model's `end_token_ids` (a chat model's end
                of turn), or none.
            seed: optional int; the same seed gives the same samples.
            padding_mask: optional `[B, T]` bools for padded id prompts.
            allow_unknown: bool. Let the model emit its tokenizer's unknown
                token (`<unk>`); by default it never does. Pieces of a
                text prompt outside the vocabulary become `<unk>` with a
                warning that lists them. Defaults to `False`.

        Returns:
            For text prompts, the prompt plus continuation as a string (or a
            list of strings). For ids, a dict of NumPy arrays: `token_ids`
            `[B, L]` (prompt then continuation, 0 after each row's end),
            `padding_mask`, `lengths` and `scores`.

        Example:
        >>> import lmzoo
        >>> tokenizer = lmzoo.data.CharTokenizer.from_text("ROMEO: hello")
        >>> model = lmzoo.models.GPT(
        ...     vocabulary_size=tokenizer.vocabulary_size, num_layers=1,
        ...     hidden_dim=16, tokenizer=tokenizer)
        >>> text = model.generate("ROMEO:", max_new_tokens=5, strategy="sample",
        ...                       top_k=3, seed=0)
        >>> text.startswith("ROMEO:"), len(text)
        (True, 11)
        """
        tokenizer = self.tokenizer
        if stop_token_ids is None:
            stop_token_ids = getattr(self, "end_token_ids", ())
        suppressed = (
            ()
            if allow_unknown or tokenizer is None or tokenizer.oov_id is None
            else (tokenizer.oov_id,)
        )
        config = SamplerConfig(
            strategy, temperature, top_k, top_p, num_beams, length_penalty, suppressed
        )
        if getattr(self, "_generator", None) is None:
            self._generator = Generator(self)
        text_input = isinstance(prompts, str) or (
            isinstance(prompts, list | tuple)
            and prompts
            and isinstance(prompts[0], str)
        )
        if not text_input:
            return self._generator(
                prompts, config, max_new_tokens, padding_mask, stop_token_ids, seed
            )
        if tokenizer is None:
            raise ValueError("This model has no tokenizer: pass token ids, not text.")
        texts = [prompts] if isinstance(prompts, str) else list(prompts)
        _warn_unknown(tokenizer, texts)
        output = self._generator(
            [tokenizer.encode(text) for text in texts],
            config,
            max_new_tokens,
            stop_token_ids=stop_token_ids,
            seed=seed,
        )
        decoded = [
            tokenizer.decode(row[:length])
            for row, length in zip(output["token_ids"], output["lengths"], strict=True)
        ]
        return decoded[0] if isinstance(prompts, str) else decoded


def _warn_unknown(tokenizer, texts):
    unknown = sorted({piece for text in texts for piece in tokenizer.unknown(text)})
    if unknown:
        warnings.warn(
            f"The prompt has {len(unknown)} piece(s) outside the vocabulary, read "
            f"as {tokenizer.oov_token}: {' '.join(map(repr, unknown))}",
            stacklevel=3,
        )
