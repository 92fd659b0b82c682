"""Generation and translation as TensorFlow functions of strings.

The functions here are what an exported SavedModel's `generate` and
`translate` signatures run: tokenization, the cached decoding loop (compiled
with XLA, for whatever batch and length a request brings) and
detokenization, all in the graph. They choose what `model.generate` and
`model.translate` choose for the same settings.
"""

import tensorflow as tf

from lmzoo.generation.decoding import beam_search_loop, sampling_loop
from lmzoo.generation.prompts import padded_width
from lmzoo.generation.samplers import SamplerConfig, next_tokens, sample_or_argmax


def _checked_total(lengths, max_new_tokens, max_length):
    """The decoding length of `bucketed_length`, with its checks as graph asserts."""
    longest = tf.reduce_max(lengths)
    checks = [
        tf.debugging.assert_positive(
            tf.size(lengths), message="generate needs at least one prompt"
        ),
        tf.debugging.assert_positive(
            lengths, message="every prompt needs at least one token; one is empty"
        ),
        tf.debugging.assert_positive(
            max_new_tokens, message="max_new_tokens must be >= 1"
        ),
    ]
    total = padded_width(longest) + max_new_tokens
    if max_length:
        checks.append(
            tf.debugging.assert_less_equal(
                longest + max_new_tokens,
                max_length,
                message="the longest prompt plus max_new_tokens exceeds "
                f"max_sequence_length={max_length}",
            )
        )
        total = tf.minimum(total, max_length)
    with tf.control_dependencies(checks):
        return tf.identity(total)


def _right_padded(ragged, width):
    dense = ragged.to_tensor(0)
    return tf.pad(dense, [[0, 0], [0, width - tf.shape(dense)[1]]])


def _between(ids, start, end):
    """Ragged `ids[b, start[b]:end[b]]`."""
    positions = tf.range(tf.shape(ids)[1])[None, :]
    return tf.ragged.boolean_mask(
        ids, (positions >= start[:, None]) & (positions < end[:, None])
    )


def text_generation(model, tokenizer):
    """`generate(prompt, max_new_tokens, temperature, top_k, seed)` over strings.

    Args:
        model: a model with the generation hook (`init_cache`, `decode_step`)
            and a `max_sequence_length` (None for no limit).
        tokenizer: its tokenizer (`CharTokenizer`, `WordTokenizer`).

    Returns:
        A function of `prompt` (string `[B]`), `max_new_tokens` (int32 >= 1),
        `temperature` (float32 >= 0; 0 is greedy), `top_k` (int32 >= 0; 0
        is no limit) and `seed` (int32) returning a dict of `generated`
        (string `[B]`, prompt and continuation as `model.generate` returns
        them) and `continuation` (string `[B]`, the new text alone). It
        never emits the tokenizer's unknown token, as `model.generate`, and
        a row ends after one of the model's `end_token_ids` (a chat model's
        end of turn), as `model.generate(..., stop_token_ids=...)`.

    Example:
    >>> import lmzoo
    >>> tokenizer = lmzoo.data.CharTokenizer.from_text("abc")
    >>> model = lmzoo.models.GPT(4, num_layers=1, hidden_dim=8)
    >>> generate = text_generation(model, tokenizer)
    >>> out = generate(tf.constant(["ab"]), 3, 0.0, 0, 0)
    >>> len(out["continuation"].numpy()[0])
    3
    """
    suppressed = () if tokenizer.oov_id is None else (tokenizer.oov_id,)
    stop_token_ids = tuple(getattr(model, "end_token_ids", ()))
    max_length = getattr(model, "max_sequence_length", None)

    @tf.function(jit_compile=True)
    def decode(token_ids, lengths, max_new_tokens, temperature, top_k, seed):
        def choose(logits, step_seed):
            return sample_or_argmax(logits, temperature, top_k, step_seed, suppressed)

        return sampling_loop(
            model, token_ids, lengths, seed, choose, max_new_tokens, stop_token_ids, {}
        )

    def generate(prompt, max_new_tokens, temperature, top_k, seed):
        ragged = tokenizer(prompt)
        lengths = tf.cast(ragged.row_lengths(), tf.int32)
        total = _checked_total(lengths, max_new_tokens, max_length)
        settings = [
            tf.debugging.assert_non_negative(
                temperature, message="temperature must be >= 0 (0 is greedy)"
            ),
            tf.debugging.assert_non_negative(
                top_k, message="top_k must be >= 0 (0 is no limit)"
            ),
        ]
        with tf.control_dependencies(settings):
            ids, final_lengths = decode(
                _right_padded(ragged, total),
                lengths,
                max_new_tokens,
                temperature,
                top_k,
                tf.stack([seed, 0]),
            )
        return {
            "generated": tokenizer.detokenize(
                _between(ids, 0 * lengths, final_lengths)
            ),
            "continuation": tokenizer.detokenize(_between(ids, lengths, final_lengths)),
        }

    return generate


def text_translation(model, num_beams=4, length_penalty=1.0):
    """`translate(text)` over strings, decoding as `model.translate` does.

    Args:
        model: a `Seq2SeqTransformer` with a `TranslationPreprocessor`.
        num_beams: int. Beam width; 1 is greedy. Defaults to `4`.
        length_penalty: float. Defaults to `1.0`.

    Returns:
        A function of `text` (string `[B]`) returning a dict with
        `translation` (string `[B]`).

    Example:
    >>> from lmzoo.data.tokenizers.sentencepiece import SentencePieceTokenizer
    >>> from lmzoo.data.translation import TranslationPreprocessor
    >>> from lmzoo.models import Seq2SeqTransformer
    >>> tokenizer = SentencePieceTokenizer.train(["hola", "adios"] * 9, 20)
    >>> model = Seq2SeqTransformer(
    ...     tokenizer.vocabulary_size, num_layers=1, hidden_dim=8, num_heads=2,
    ...     max_sequence_length=16,
    ...     preprocessor=TranslationPreprocessor(tokenizer, tokenizer, 16))
    >>> translate = text_translation(model, num_beams=2)
    >>> translate(tf.constant(["hola", "adios"]))["translation"].shape
    TensorShape([2])
    """
    preprocessor = model.translation_preprocessor()
    target = preprocessor.target_tokenizer
    if not model.built:
        model.build()
    config = SamplerConfig(
        "beam" if num_beams > 1 else "greedy",
        num_beams=num_beams,
        length_penalty=length_penalty,
        suppressed_token_ids=(target.oov_id, target.start_id, 0),
    )
    total = model.max_sequence_length
    stop = (target.end_id,)

    @tf.function(jit_compile=True)
    def encode(token_ids, padding_mask):
        return model.backbone.encode(token_ids, padding_mask)

    @tf.function(jit_compile=True)
    def decode(encoded, padding_mask):
        batch = tf.shape(encoded)[0]
        prompts = tf.pad(tf.fill([batch, 1], target.start_id), [[0, 0], [0, total - 1]])
        lengths = tf.ones([batch], tf.int32)
        encoder = {"encoder_outputs": encoded, "encoder_padding_mask": padding_mask}
        if config.strategy == "beam":
            ids, final_lengths, _ = beam_search_loop(
                model, prompts, lengths, config, total - 1, stop, encoder
            )
            return ids, final_lengths

        def choose(logits, step_seed):
            return next_tokens(logits, config, step_seed)

        return sampling_loop(
            model,
            prompts,
            lengths,
            tf.zeros([2], tf.int32),
            choose,
            total - 1,
            stop,
            encoder,
        )

    def translate(text):
        features = preprocessor.encode_source(text)
        mask = features["encoder_padding_mask"]
        longest = tf.reduce_max(tf.reduce_sum(tf.cast(mask, tf.int32), axis=1))
        width = tf.minimum(tf.shape(mask)[1], 8 * tf.maximum(1, -(-longest // 8)))
        mask = mask[:, :width]
        ids, final_lengths = decode(
            encode(features["encoder_token_ids"][:, :width], mask), mask
        )
        pieces = _between(ids, tf.ones_like(final_lengths), final_lengths)
        pieces = tf.ragged.boolean_mask(pieces, pieces != target.end_id)
        return {"translation": target.detokenize(pieces)}

    return translate
