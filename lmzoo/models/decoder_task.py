"""The causal-LM task over a decoder backbone with a key/value cache (GPT, Llama)."""

from lmzoo.data.preprocessors import CausalLMPreprocessor
from lmzoo.generation.mixin import GenerationMixin
from lmzoo.models.task import Task, backbone_from, refuse_encoder_outputs


class DecoderTask(GenerationMixin, Task):
    """A decoder backbone, an LM head (`logits_from`) and the generation hooks.

    The backbone provides `init_cache(batch_size, max_length)` and
    `call_with_cache(token_ids, cache, cache_update_index)`; a subclass
    provides `logits_from(hidden)`.

    `prefers_jit_compile` is True: `lmzoo.training.default_jit_compile` then
    compiles its training step with XLA. `prefills_prompt` is True: the cache
    is indexed by position, so generation runs the prompts in one pass.

    Args:
        backbone_class: the backbone class, to build one from arguments.
        backbone: optional backbone instance (or its config).
        preprocessor: optional `CausalLMPreprocessor`.
        tokenizer: optional tokenizer, a shorthand for
            `preprocessor=CausalLMPreprocessor(tokenizer, max_sequence_length)`.
        backbone_arguments: dict of backbone arguments when no `backbone`.
        **kwargs: other `keras.Model` arguments (`name`, `trainable`).

    Example:
    >>> import lmzoo
    >>> model = lmzoo.models.GPT(vocabulary_size=10, num_layers=1, hidden_dim=8)
    >>> isinstance(model, DecoderTask), model.prefills_prompt
    (True, True)
    """

    prefers_jit_compile = True
    prefills_prompt = True

    def __init__(
        self,
        backbone_class,
        backbone,
        preprocessor,
        tokenizer,
        backbone_arguments,
        **kwargs,
    ):
        backbone = backbone_from(backbone_class, backbone, backbone_arguments)
        if tokenizer is not None and preprocessor is None:
            preprocessor = CausalLMPreprocessor(tokenizer, backbone.max_sequence_length)
        super().__init__(backbone, preprocessor, **kwargs)

    @property
    def vocabulary_size(self):
        """Number of token ids (the backbone's)."""
        return self.backbone.vocabulary_size

    @property
    def max_sequence_length(self):
        """Longest input (the backbone's)."""
        return self.backbone.max_sequence_length

    def logits_from(self, hidden):
        """The LM head.

        Args:
            hidden: `[B, T, hidden_dim]` hidden states.

        Returns:
            `[B, T, vocabulary_size]` float32 logits.
        """
        raise NotImplementedError

    def call(self, inputs, training=None):
        return self.logits_from(self.backbone(inputs, training=training))

    def init_cache(
        self,
        batch_size,
        max_length=None,
        encoder_outputs=None,
        encoder_padding_mask=None,
    ):
        """The generation hook: the backbone's empty key/value cache.

        Args:
            batch_size: int.
            max_length: int. Positions the cache holds. Defaults to
                `max_sequence_length`.
            encoder_outputs: must be `None` (a decoder-only model).
            encoder_padding_mask: must be `None`.

        Returns:
            The backbone's cache.
        """
        refuse_encoder_outputs(encoder_outputs, encoder_padding_mask)
        if max_length is None:
            max_length = self.max_sequence_length
        return self.backbone.init_cache(batch_size, max_length)

    def decode_step(self, token_ids, cache, cache_update_index):
        """The generation hook: logits for new tokens, and the updated cache.

        Args:
            token_ids: `[B, T]` ints at positions `cache_update_index ...`.
            cache: the cache from `init_cache` or a previous step.
            cache_update_index: int or scalar tensor.

        Returns:
            `(logits [B, T, V] float32, updated cache)`.
        """
        hidden, cache = self.backbone.call_with_cache(
            token_ids, cache, cache_update_index
        )
        return self.logits_from(hidden), cache
