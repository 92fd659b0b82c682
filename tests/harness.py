"""One harness for the checks every lmzoo layer and model must pass.

`run_layer_test` checks, for a layer or model class: config round trip
(`from_config(get_config())` rebuilds the same config), eager and symbolic
calls with the expected output shape, one `fit` step with `jit_compile=True`,
the same call and the gradients of its output under `mixed_float16` and
`mixed_bfloat16`, from the same weights, within a stated tolerance of float32
(and float32 where lmzoo promises it: logits), and `.keras` save/load with
identical outputs.
"""

import keras
import numpy as np
import tensorflow as tf


def _call(layer, inputs, call_kwargs):
    return layer(inputs, **call_kwargs)


def _first(outputs):
    """The main output: the first of a tuple, `sequence_output` (or the first
    entry) of a dict."""
    if isinstance(outputs, dict):
        return outputs.get("sequence_output", next(iter(outputs.values())))
    return outputs[0] if isinstance(outputs, tuple | list) else outputs


def run_layer_test(
    cls,
    init_kwargs,
    input_data,
    expected_output_shape,
    call_kwargs=None,
    tmp_path=None,
    float32_output=False,
    fit_step=True,
):
    call_kwargs = call_kwargs or {}
    layer = cls(**init_kwargs)
    eager = _first(_call(layer, input_data, call_kwargs))
    assert tuple(eager.shape) == tuple(expected_output_shape)

    config = layer.get_config()
    clone = cls.from_config(config)
    assert clone.get_config() == config

    symbolic_input = keras.Input(
        shape=input_data.shape[1:],
        batch_size=input_data.shape[0],
        dtype=str(input_data.dtype),
    )
    symbolic = _first(_call(cls(**init_kwargs), symbolic_input, call_kwargs))
    assert tuple(symbolic.shape) == tuple(expected_output_shape)

    if fit_step:
        _fit_one_step(cls, init_kwargs, input_data, call_kwargs)

    for policy, tolerance in MIXED_PRECISION_TOLERANCE.items():
        mixed = cls(**(init_kwargs | {"dtype": policy}))
        _call(mixed, input_data, call_kwargs)
        mixed.set_weights(layer.get_weights())
        output, gradients = _output_and_gradients(mixed, input_data, call_kwargs)
        if float32_output:
            assert output.dtype == "float32", f"{policy}: output is {output.dtype}"
        expected, expected_gradients = _output_and_gradients(
            layer, input_data, call_kwargs
        )
        _assert_close(output, expected, tolerance, f"{policy} output")
        # Some gradients are zero in exact arithmetic (a key bias: softmax
        # ignores a constant added to every score), so compare all of them
        # against the largest.
        scale = max(float(np.abs(g.numpy()).max()) for g in expected_gradients)
        for got, want in zip(gradients, expected_gradients, strict=True):
            _assert_close(got, want, tolerance, f"{policy} gradient", scale)

    if tmp_path is not None and isinstance(layer, keras.Model):
        path = tmp_path / f"{cls.__name__}.keras"
        layer.save(path)
        restored = keras.saving.load_model(path)
        np.testing.assert_allclose(
            _first(_call(restored, input_data, call_kwargs)), eager, atol=1e-6
        )
    return layer


# Largest error allowed against float32, relative to the largest float32 value
# of the tensor compared: float16 keeps 11 significant bits, bfloat16 8.
MIXED_PRECISION_TOLERANCE = {"mixed_float16": 1e-2, "mixed_bfloat16": 5e-2}


def _output_and_gradients(layer, input_data, call_kwargs):
    """The main output, and the gradients of a fixed projection of every output
    (all of a dict's, so that a pooler gets its gradient too), in float32."""
    with tf.GradientTape() as tape:
        outputs = _call(layer, input_data, call_kwargs)
        output = _first(outputs)
        parts = list(outputs.values()) if isinstance(outputs, dict) else [output]
        output32 = tf.concat(
            [tf.reshape(tf.cast(p, tf.float32), [-1]) for p in parts], 0
        )
        upstream = tf.cos(tf.range(tf.size(output32), dtype=tf.float32))
        projection = tf.reduce_sum(output32 * upstream)
    variables = layer.trainable_variables
    gradients = tape.gradient(projection, variables)
    # A variable the outputs do not depend on (a pooler under a token head)
    # has a zero gradient, which TensorFlow returns as None.
    return output, [
        tf.zeros(v.shape) if g is None else tf.convert_to_tensor(g, tf.float32)
        for v, g in zip(variables, gradients, strict=True)
    ]


def _assert_close(got, want, tolerance, what, scale=None):
    got = keras.ops.convert_to_numpy(keras.ops.cast(got, "float32"))
    want = keras.ops.convert_to_numpy(keras.ops.cast(want, "float32"))
    assert np.isfinite(got).all(), f"{what}: not finite"
    scale = scale or max(float(np.abs(want).max()), 1e-6)
    error = float(np.abs(got - want).max())
    assert error <= tolerance * scale, f"{what}: error {error:.3g}, scale {scale:.3g}"


def _fit_one_step(cls, init_kwargs, input_data, call_kwargs):
    layer = cls(**init_kwargs)
    inputs = keras.Input(shape=input_data.shape[1:], dtype=str(input_data.dtype))
    outputs = _first(_call(layer, inputs, call_kwargs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    target = np.zeros(outputs.shape[1:], "float32")[None].repeat(
        len(input_data), axis=0
    )
    history = model.fit(
        input_data, target, epochs=1, batch_size=len(input_data), verbose=0
    )
    assert np.isfinite(history.history["loss"][0])


def log_perplexity_drop(
    model, ids, sequence_length, batch_size, learning_rate, steps=60
):
    """Trains `model` for `steps` on real text; returns validation log-perplexity
    before and after, measured on the same fixed windows."""
    from lmzoo.data import language_model_dataset
    from lmzoo.training import compile_language_model, train_language_model

    compile_language_model(model, learning_rate=learning_rate)
    train = language_model_dataset(
        ids["train"], sequence_length, batch_size, shuffle=True, seed=0
    )
    val = language_model_dataset(ids["validation"][:20_000], sequence_length, 64)
    before = model.evaluate(val, return_dict=True, verbose=0)["perplexity"]
    train_language_model(
        model,
        train,
        val,
        batch_size * sequence_length,
        learning_rate=learning_rate,
        max_steps=steps,
        warmup_steps=10,
        eval_interval=steps // 2,
        verbose=0,
    )
    after = model.evaluate(val, return_dict=True, verbose=0)["perplexity"]
    return np.log(before), np.log(after)


def _log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def mean_cross_entropy(model, token_ids, window):
    """Mean next-token cross-entropy over windows that tile the ids, in float64:
    an independent check of the figures the training code reports."""
    token_ids = np.asarray(token_ids, np.int32)
    full = (len(token_ids) - 1) // window
    pieces = [(token_ids[: full * window], token_ids[1 : full * window + 1])]
    rest = len(token_ids) - 1 - full * window
    if rest:
        pieces.append((token_ids[full * window : -1], token_ids[full * window + 1 :]))
    total, count = 0.0, 0
    for inputs, targets in pieces:
        width = min(window, len(inputs))
        inputs, targets = inputs.reshape(-1, width), targets.reshape(-1, width)
        log_probs = _log_softmax(model.predict(inputs, batch_size=64, verbose=0))
        total -= np.take_along_axis(log_probs, targets[..., None], -1).sum()
        count += targets.size
    return total / count


def stateful_cross_entropy(model, streams):
    """Mean cross-entropy of a stateful LSTM over `stateful_streams`, computed
    by running each stream whole from a zero state through a stateless copy."""
    from lmzoo.models import LSTMLanguageModel

    backbone = model.backbone.get_config() | {"stateful": False}
    copy = LSTMLanguageModel(**backbone, tie_embeddings=model.tie_embeddings)
    inputs, targets, weights = (
        np.concatenate([batch[i].numpy() for batch in streams], axis=1)
        for i in range(3)
    )
    copy(inputs[:, :1])
    copy.set_weights(model.get_weights())
    log_probs = _log_softmax(copy(inputs))
    picked = np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    return -(picked * weights).sum() / weights.sum()
