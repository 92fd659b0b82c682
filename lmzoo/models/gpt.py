"""GPT: a decoder-only Transformer backbone and its causal-LM task."""

import keras
from keras import ops

from lmzoo.data.tokenizers.byte_pair import BytePairTokenizer
from lmzoo.interop import huggingface
from lmzoo.layers import TokenAndPositionEmbedding, TransformerDecoderBlock
from lmzoo.models.decoder_task import DecoderTask
from lmzoo.models.inputs import check_positive_int, unpack_inputs


@keras.saving.register_keras_serializable(package="lmzoo")
class GPTBackbone(keras.Model):
    """GPT-2 style stack: embeddings, pre-LayerNorm causal decoder blocks, final LN.

    Args:
        vocabulary_size: int. Number of token ids.
        max_sequence_length: int. Longest input (size of the position table).
            Defaults to `128`.
        num_layers: int. Decoder blocks. Defaults to `4`.
        num_heads: int. Attention heads per block. Defaults to `4`.
        hidden_dim: int. Model width. Defaults to `128`.
        intermediate_dim: int. Feed-forward width. Defaults to `4 * hidden_dim`.
        dropout: float. Defaults to `0.0`.
        activation: feed-forward activation. Defaults to `"gelu"`.
        layer_norm_epsilon: float. Defaults to `1e-5`.
        use_bias: bool. Biases in the dense layers and LayerNorms (nanoGPT
            trains without them). Defaults to `True`.
        **kwargs: other `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`).
        training: bool.

    Returns:
        `[B, T, hidden_dim]` hidden states, in the compute dtype.

    Example:
    >>> backbone = GPTBackbone(vocabulary_size=65, num_layers=1, hidden_dim=16)
    >>> backbone(keras.ops.ones((2, 8), "int32")).shape
    TensorShape([2, 8, 16])
    """

    def __init__(
        self,
        vocabulary_size,
        max_sequence_length=128,
        num_layers=4,
        num_heads=4,
        hidden_dim=128,
        intermediate_dim=None,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        use_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in [
            ("vocabulary_size", vocabulary_size),
            ("max_sequence_length", max_sequence_length),
            ("num_layers", num_layers),
            ("num_heads", num_heads),
            ("hidden_dim", hidden_dim),
        ]:
            check_positive_int(name, value)
        if hidden_dim % num_heads:
            raise ValueError(
                f"num_heads={num_heads} does not divide hidden_dim={hidden_dim}."
            )
        self.vocabulary_size = vocabulary_size
        self.max_sequence_length = max_sequence_length
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim or 4 * hidden_dim
        self.dropout = dropout
        self.activation = activation
        self.layer_norm_epsilon = layer_norm_epsilon
        self.use_bias = use_bias
        initializer = keras.initializers.RandomNormal(stddev=0.02)
        self.embedding = TokenAndPositionEmbedding(
            vocabulary_size,
            max_sequence_length,
            hidden_dim,
            embeddings_initializer=initializer,
            dtype=self.dtype_policy,
            name="embedding",
        )
        self.embedding_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.blocks = [
            TransformerDecoderBlock(
                num_heads,
                self.intermediate_dim,
                dropout=dropout,
                activation=activation,
                layer_norm_epsilon=layer_norm_epsilon,
                normalize_first=True,
                fused_qkv=True,
                kernel_initializer=initializer,
                use_bias=use_bias,
                dtype=self.dtype_policy,
                name=f"block_{index}",
            )
            for index in range(num_layers)
        ]
        self.final_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon,
            center=use_bias,
            dtype=self.dtype_policy,
            name="final_layer_norm",
        )

    def call(self, inputs, training=None):
        token_ids, padding_mask, _ = unpack_inputs(inputs, "GPT")
        length = token_ids.shape[-1]
        if length is not None and length > self.max_sequence_length:
            raise ValueError(
                f"Input has {length} tokens but this GPT's max_sequence_length is "
                f"{self.max_sequence_length}."
            )
        x = self.embedding(token_ids)  # (B, T, C)
        x = self.embedding_dropout(x, training=training)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        return self.final_layer_norm(x)

    def init_cache(self, batch_size, max_length):
        """An empty key/value cache for `call_with_cache`.

        Args:
            batch_size: int.
            max_length: int. Positions the cache holds.

        Returns:
            A tuple with one `(key, value)` pair per layer, each a
            `[batch, heads, max_length, head_dim]` zero tensor in the compute
            dtype. Separate head-major tensors let XLA update each in place
            and feed it to the attention product without a transpose.
        """
        head_dim = self.hidden_dim // self.num_heads
        shape = (batch_size, self.num_heads, max_length, head_dim)
        return tuple(
            (ops.zeros(shape, self.compute_dtype), ops.zeros(shape, self.compute_dtype))
            for _ in range(self.num_layers)
        )

    def call_with_cache(self, token_ids, cache, cache_update_index):
        """Runs new tokens against the key/value cache (a prompt or one step).

        Args:
            token_ids: `[B, T]` int tensor, the tokens at positions
                `cache_update_index ... cache_update_index + T - 1`.
            cache: the tuple from `init_cache` or a previous call.
            cache_update_index: int or scalar tensor.

        Returns:
            `(hidden [B, T, hidden_dim], updated cache)`.
        """
        x = self.embedding(token_ids, cache_update_index=cache_update_index)
        updated = []
        for block, layer_cache in zip(self.blocks, cache, strict=True):
            x, layer_cache = block(
                x, cache=layer_cache, cache_update_index=cache_update_index
            )
            updated.append(layer_cache)
        return self.final_layer_norm(x), tuple(updated)

    def get_config(self):
        return super().get_config() | {
            "vocabulary_size": self.vocabulary_size,
            "max_sequence_length": self.max_sequence_length,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "dropout": self.dropout,
            "activation": self.activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "use_bias": self.use_bias,
        }


@keras.saving.register_keras_serializable(package="lmzoo")
class GPT(DecoderTask):
    """GPT causal language model: a `GPTBackbone` and an LM head tied to its embedding.

    Build it from a backbone, or from the backbone's arguments. Tying the LM
    head to the input embedding (Press & Wolf, 2017) saves
    `vocabulary_size * hidden_dim` parameters and trains better on small data.

    Args:
        vocabulary_size: int. The backbone's, when no `backbone` is given.
        backbone: optional `GPTBackbone`.
        preprocessor: optional `CausalLMPreprocessor`; with one, `fit`,
            `predict` and `generate` take strings.
        tokenizer: optional tokenizer, a shorthand for
            `preprocessor=CausalLMPreprocessor(tokenizer, max_sequence_length)`.
        name: optional str.
        trainable: bool. Defaults to `True`.
        **backbone_arguments: other `GPTBackbone` arguments (`num_layers`,
            `dtype`, ...) when no `backbone` is given.

    Call arguments:
        inputs: token ids or a dict (`lmzoo.models.inputs`).
        training: bool.

    Returns:
        `[B, T, vocabulary_size]` float32 logits.

    Training prefers XLA and generation runs prompts in one pass
    (`DecoderTask`).

    Example:
    >>> model = GPT(vocabulary_size=65, num_layers=2, hidden_dim=32, num_heads=4)
    >>> model(keras.ops.ones((2, 16), "int32")).shape
    TensorShape([2, 16, 65])
    """

    def __init__(
        self,
        vocabulary_size=None,
        backbone=None,
        preprocessor=None,
        tokenizer=None,
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        if vocabulary_size is not None:
            backbone_arguments["vocabulary_size"] = vocabulary_size
        super().__init__(
            GPTBackbone,
            backbone,
            preprocessor,
            tokenizer,
            backbone_arguments,
            name=name,
            trainable=trainable,
        )

    @classmethod
    def from_huggingface(cls, path, tokenizer=None, **kwargs):
        """A `GPT` holding a Hugging Face GPT-2 checkpoint's weights.

        Reads `config.json` and `model.safetensors` (no PyTorch). Every
        tensor is used: a missing, unknown or mis-shaped one is an error that
        names it. The LM head is tied to the token embedding in both. GPT-2's
        byte-level BPE comes along when the folder has it (`vocab.json` and
        `merges.txt`, or `tokenizer.json`), so the model generates from text.

        Args:
            path: a folder written by `save_pretrained`.
            tokenizer: optional tokenizer layer, in place of the folder's.
            **kwargs: other `GPTBackbone` arguments (`dtype`, `dropout`).

        Returns:
            A built `GPT`.

        Example:
        >>> model = GPT.from_huggingface("tests/fixtures/hf_tiny_gpt2_bpe")
        >>> model.generate("Hello", max_new_tokens=3).startswith("Hello")
        True
        """
        config, tensors = huggingface.read_checkpoint(path, "gpt2")
        if (
            tokenizer is None
            and huggingface.read_tokenizer_extras(path)["has_tokenizer"]
        ):
            tokenizer = BytePairTokenizer.from_huggingface(path)
        model = cls(tokenizer=tokenizer, **huggingface.gpt2_arguments(config), **kwargs)
        model(ops.zeros((1, 1), "int32"))
        huggingface.assign(huggingface.gpt2_targets(model.backbone), tensors, "gpt2")
        return model

    def logits_from(self, hidden):
        """The LM head: the token embedding, tied.

        Args:
            hidden: `[B, T, hidden_dim]` hidden states.

        Returns:
            `[B, T, vocabulary_size]` float32 logits.
        """
        return self.backbone.embedding.attend(hidden)
