"""One compiled decoding loop over a static cache, for any lmzoo decoder.

A model takes part by implementing two methods:

- `init_cache(batch_size, max_length, encoder_outputs=None,
  encoder_padding_mask=None)`: the empty cache (GPT: a `(key, value)` pair of
  `[B, heads, max_length, head_dim]` tensors per layer; LSTM: its zero state).
  An encoder-decoder receives its encoder's outputs `[B, S, C]` and padding
  mask `[B, S]` here, one row per prompt, and keeps in the cache what its
  decoder needs of them (beam search then repeats every row of the cache per
  beam, so the source is projected once, not once per beam);
- `decode_step(token_ids, cache, cache_update_index)`: logits for
  `token_ids` (`[B, T]`) placed at positions `cache_update_index ...`, and the
  updated cache. Beam search reorders every tensor of the cache by beam.

The loop feeds position `i - 1` and writes position `i`; rows whose prompt
is longer than `i` keep their prompt token. A model whose cache is indexed
by position (attention; `prefills_prompt = True`) first runs the padded
prompts through `decode_step` in one pass, and the loop starts at the
shortest prompt's end: positions past a row's prompt hold padding's keys
until the loop overwrites them, and the causal mask hides them until then.
A recurrent model (whose state would take in the padding) runs its prompt
through the loop from `i = 1`, one token per step, as does a served model
(whose prompt width is not known when XLA compiles). Prompts are
left-aligned (real tokens first) and padded to a bucket of 16 tokens, so
every prompt length in a bucket reuses one compiled program.
"""

import numpy as np
import tensorflow as tf

from lmzoo.generation.prompts import bucketed_length, padded_width, prepare_prompts
from lmzoo.generation.samplers import next_tokens, suppress_tokens
from lmzoo.layers.masks import MASKED_LOGIT


def _write_column(ids, index, column):
    positions = tf.range(tf.shape(ids)[1])[None, :]
    return tf.where(positions == index, column[:, None], ids)


def _is_stop(tokens, stop_token_ids):
    if not stop_token_ids:
        return tf.zeros_like(tokens, tf.bool)
    stops = tf.constant(stop_token_ids, tf.int32)
    return tf.reduce_any(tokens[:, None] == stops[None, :], axis=-1)


def _record(ids, index, token, done, final_lengths, in_prompt, limits, stop_token_ids):
    """Writes the chosen tokens at `index`; ends rows that emitted a stop token
    or reached their `max_new_tokens` limit."""
    final_lengths = tf.where(done, final_lengths, index + 1)
    finished = ~in_prompt & (_is_stop(token, stop_token_ids) | (index + 1 >= limits))
    return _write_column(ids, index, token), done | finished, final_lengths


def _shape(tensor):
    """Each dimension as an int where it is static, else as a scalar tensor."""
    dynamic = tf.shape(tensor)
    return [
        size if size is not None else dynamic[axis]
        for axis, size in enumerate(tensor.shape.as_list())
    ]


def _start(model, token_ids, lengths, cache, prefill_length):
    """The loop's first index and cache: after one pass over the prompts, or 1."""
    if not prefill_length:
        return tf.constant(1), cache
    _, cache = model.decode_step(token_ids[:, :prefill_length], cache, 0)
    return tf.reduce_min(lengths), cache


def sampling_loop(
    model,
    token_ids,
    lengths,
    seed,
    choose,
    max_new_tokens,
    stop_token_ids,
    encoder,
    prefill_length=None,
):
    """Greedy or random decoding as one `tf.while_loop` (call it inside a tf.function).

    The batch and the total length may be unknown while tracing (an exported
    signature): the loop reads them from `tf.shape` then.

    Args:
        model: a model with `init_cache` and `decode_step`.
        token_ids: `[B, L]` int32, left-aligned prompts padded to the total length.
        lengths: `[B]` int32 prompt lengths.
        seed: `[2]` int32 seed for stateless sampling.
        choose: `choose(logits [B, V] float32, step_seed [2]) -> [B] int32`,
            the next token of each row (such as `next_tokens` with a config).
        max_new_tokens: int or scalar int32 tensor.
        stop_token_ids: tuple of ints.
        encoder: dict of `init_cache` keyword arguments (`encoder_outputs`,
            `encoder_padding_mask`); empty for a decoder-only model.
        prefill_length: optional int, at least the longest prompt: run
            positions `0 .. prefill_length - 1` through the model in one
            pass first (only for a cache indexed by position).

    Returns:
        `(token_ids [B, L], lengths [B])`: each row holds its prompt and its
        continuation, then padding (0) from `lengths` on.
    """
    batch, total = _shape(token_ids)
    limits = lengths + max_new_tokens
    cache = model.init_cache(batch, total, **encoder)
    start, cache = _start(model, token_ids, lengths, cache, prefill_length)

    def body(index, ids, cache, done, final_lengths):
        current = tf.gather(ids, [index - 1], axis=1)  # (B, 1)
        logits, cache = model.decode_step(current, cache, index - 1)
        step_seed = tf.stack([seed[0], seed[1] + index])
        sampled = choose(tf.cast(logits[:, -1], tf.float32), step_seed)
        in_prompt = index < lengths
        token = tf.where(in_prompt, tf.gather(ids, index, axis=1), sampled)
        token = tf.where(done, 0, token)
        ids, done, final_lengths = _record(
            ids, index, token, done, final_lengths, in_prompt, limits, stop_token_ids
        )
        return index + 1, ids, cache, done, final_lengths

    def cond(index, ids, cache, done, final_lengths):
        return (index < total) & ~tf.reduce_all(done)

    _, ids, _, _, final_lengths = tf.while_loop(
        cond,
        body,
        (start, token_ids, cache, tf.zeros([batch], tf.bool), lengths),
        maximum_iterations=total,
    )
    return ids, final_lengths


def beam_search_loop(
    model,
    token_ids,
    lengths,
    config,
    max_new_tokens,
    stop_token_ids,
    encoder,
    prefill_length=None,
):
    """Beam search as one `tf.while_loop` (call it inside a tf.function).

    Keeps `num_beams` hypotheses per row, scored by the sum of their tokens'
    log-probabilities; finished hypotheses stay in the beam with their score.
    The best is chosen by `score / generated_length ** length_penalty`.

    Args:
        model: a model with `init_cache` and `decode_step`.
        token_ids: `[B, L]` int32 left-aligned prompts.
        lengths: `[B]` int32 prompt lengths.
        config: `SamplerConfig` with strategy `"beam"`.
        max_new_tokens: int or scalar int32 tensor.
        stop_token_ids: tuple of ints.
        encoder: dict of `init_cache` keyword arguments, one row per prompt.
            The cache is made once per prompt (an encoder-decoder projects
            its source into cross-attention keys and values once) and each
            of its rows is then repeated `num_beams` times.
        prefill_length: optional int, as in `sampling_loop`; the prompts run
            once per row, before the beams are made.

    Returns:
        `(token_ids [B, L], lengths [B], scores [B])`, scores being the summed
        log-probabilities of the chosen continuations.
    """
    batch, total = _shape(token_ids)
    width = config.num_beams
    flat = batch * width
    ids = tf.repeat(token_ids, width, axis=0)  # (B * W, L)
    row_lengths = tf.repeat(lengths, width)
    limits = row_lengths + max_new_tokens
    scores = tf.tile(
        tf.constant([0.0] + [MASKED_LOGIT] * (width - 1))[None], [batch, 1]
    )
    start, cache = _start(
        model,
        token_ids,
        lengths,
        model.init_cache(batch, total, **encoder),
        prefill_length,
    )
    cache = tf.nest.map_structure(lambda t: tf.repeat(t, width, axis=0), cache)
    base = tf.range(batch)[:, None] * width

    def body(index, ids, cache, done, final_lengths, scores):
        current = tf.gather(ids, [index - 1], axis=1)
        logits, cache = model.decode_step(current, cache, index - 1)
        log_probs = tf.nn.log_softmax(tf.cast(logits[:, -1], tf.float32))  # (B * W, V)
        log_probs = suppress_tokens(log_probs, config.suppressed_token_ids)
        vocabulary = tf.shape(log_probs)[-1]
        in_prompt = index < row_lengths
        forced = tf.where(in_prompt, tf.gather(ids, index, axis=1), 0)
        only_forced = tf.where(
            tf.one_hot(forced, vocabulary, on_value=True, off_value=False),
            0.0,
            MASKED_LOGIT,
        )
        log_probs = tf.where((in_prompt | done)[:, None], only_forced, log_probs)
        candidates = scores[:, :, None] + tf.reshape(log_probs, [batch, width, -1])
        scores, flat_choice = tf.math.top_k(
            tf.reshape(candidates, [batch, -1]), k=width
        )
        parents = tf.reshape(base + flat_choice // vocabulary, [-1])  # (B * W,)
        token = tf.reshape(flat_choice % vocabulary, [-1])
        ids, done, final_lengths, limits_now, prompt_now = (
            tf.gather(t, parents) for t in (ids, done, final_lengths, limits, in_prompt)
        )
        cache = tf.nest.map_structure(lambda t: tf.gather(t, parents), cache)
        ids, done, final_lengths = _record(
            ids,
            index,
            token,
            done,
            final_lengths,
            prompt_now,
            limits_now,
            stop_token_ids,
        )
        return index + 1, ids, cache, done, final_lengths, scores

    def cond(index, ids, cache, done, final_lengths, scores):
        return (index < total) & ~tf.reduce_all(done)

    _, ids, _, _, final_lengths, scores = tf.while_loop(
        cond,
        body,
        (start, ids, cache, tf.zeros([flat], tf.bool), row_lengths, scores),
        maximum_iterations=total,
    )
    generated = tf.cast(
        tf.reshape(final_lengths, [batch, width]) - lengths[:, None], tf.float32
    )
    normalized = scores / tf.maximum(generated, 1.0) ** config.length_penalty
    best = tf.argmax(normalized, axis=-1, output_type=tf.int32) + base[:, 0]
    return (
        tf.gather(ids, best),
        tf.gather(final_lengths, best),
        tf.gather(tf.reshape(scores, [-1]), best),
    )


class Generator:
    """Compiles and caches one decoding program per (batch, bucket, settings).

    Args:
        model: a model with `init_cache` and `decode_step` (the hook above).
        jit_compile: bool. Compile the loop with XLA. Defaults to `True`.

    Example:
    >>> import lmzoo
    >>> from lmzoo.generation import SamplerConfig
    >>> model = lmzoo.models.GPT(vocabulary_size=10, num_layers=1, hidden_dim=8)
    >>> generator = Generator(model)
    >>> generator([[1, 2, 3]], SamplerConfig(), max_new_tokens=5)["lengths"]
    array([8], dtype=int32)
    """

    def __init__(self, model, jit_compile=True):
        self.model = model
        self.jit_compile = jit_compile
        self.trace_count = 0
        self._programs = {}

    def _program(self, key, config, max_new_tokens, stop_token_ids, prefill_length):
        if key not in self._programs:

            def decode(token_ids, lengths, seed, encoder):
                self.trace_count += 1
                arguments = (config, max_new_tokens, stop_token_ids, encoder)
                if config.strategy == "beam":
                    return beam_search_loop(
                        self.model, token_ids, lengths, *arguments, prefill_length
                    )

                def choose(logits, step_seed):
                    return next_tokens(logits, config, step_seed)

                ids, final_lengths = sampling_loop(
                    self.model,
                    token_ids,
                    lengths,
                    seed,
                    choose,
                    *arguments[1:],
                    prefill_length,
                )
                return ids, final_lengths, tf.zeros_like(lengths, tf.float32)

            self._programs[key] = tf.function(decode, jit_compile=self.jit_compile)
        return self._programs[key]

    def __call__(
        self,
        token_ids,
        config,
        max_new_tokens,
        padding_mask=None,
        stop_token_ids=(),
        seed=None,
        encoder_outputs=None,
        encoder_padding_mask=None,
    ):
        """Generates continuations of a batch of prompts.

        Args:
            token_ids: `[B, T]` prompt ids (left- or right-padded) or a list of
                per-row id lists.
            config: `SamplerConfig`.
            max_new_tokens: int.
            padding_mask: optional `[B, T]` bools, True at real prompt tokens.
            stop_token_ids: ints; a row stops after emitting one of them.
            seed: optional int; the same seed gives the same samples.
            encoder_outputs: optional `[B, S, C]` encoder outputs, one row per
                prompt, for an encoder-decoder's `init_cache`.
            encoder_padding_mask: optional `[B, S]` bools, True at real
                source tokens.

        Returns:
            dict of NumPy arrays: `token_ids` `[B, L]` (prompt then continuation,
            0 after the end), `padding_mask` `[B, L]`, `lengths` `[B]` and
            `scores` `[B]` (beam search log-probabilities; 0 otherwise).
        """
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}.")
        aligned, lengths = prepare_prompts(token_ids, padding_mask)
        total = bucketed_length(
            int(lengths.max()),
            max_new_tokens,
            getattr(self.model, "max_sequence_length", None),
        )
        padded = np.zeros((len(aligned), total), np.int32)
        width = min(aligned.shape[1], total)
        padded[:, :width] = aligned[:, :width]
        stop_token_ids = tuple(int(token) for token in stop_token_ids)
        encoder = {
            name: tf.convert_to_tensor(value)
            for name, value in [
                ("encoder_outputs", encoder_outputs),
                ("encoder_padding_mask", encoder_padding_mask),
            ]
            if value is not None
        }
        for name, value in encoder.items():
            if value.shape[0] != len(padded):
                raise ValueError(
                    f"{name} has {value.shape[0]} rows for {len(padded)} prompts."
                )
        shapes = tuple((name, tuple(value.shape)) for name, value in encoder.items())
        prefill_length = None
        if getattr(self.model, "prefills_prompt", False):
            prefill_length = min(padded_width(int(lengths.max())), total)
        key = (padded.shape, shapes, config, max_new_tokens, stop_token_ids)
        key += (prefill_length,)
        program = self._program(
            key, config, max_new_tokens, stop_token_ids, prefill_length
        )
        if seed is None:
            seed = np.random.default_rng().integers(2**31 - 1)
        ids, final_lengths, scores = program(
            tf.constant(padded),
            tf.constant(lengths),
            tf.constant([int(seed), 0], tf.int32),
            encoder,
        )
        ids, final_lengths = ids.numpy(), final_lengths.numpy()
        end = int(final_lengths.max())
        mask = np.arange(end)[None] < final_lengths[:, None]
        return {
            "token_ids": np.where(mask, ids[:, :end], 0),
            "padding_mask": mask,
            "lengths": final_lengths,
            "scores": scores.numpy(),
        }
