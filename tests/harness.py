"""One harness for the checks every lmzoo layer and model must pass.

`run_layer_test` checks, for a layer or model class: config round trip
(`from_config(get_config())` rebuilds the same config), eager and symbolic
calls with the expected output shape, one `fit` step with `jit_compile=True`,
the same call under `mixed_float16` and `mixed_bfloat16` (float32 where lmzoo
promises it: logits), and `.keras` save/load with identical outputs.
"""

import keras
import numpy as np


def _call(layer, inputs, call_kwargs):
    return layer(inputs, **call_kwargs)


def _first(outputs):
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

    for policy in ("mixed_float16", "mixed_bfloat16"):
        mixed = cls(**(init_kwargs | {"dtype": policy}))
        output = _first(_call(mixed, input_data, call_kwargs))
        assert np.isfinite(
            keras.ops.convert_to_numpy(keras.ops.cast(output, "float32"))
        ).all()
        if float32_output:
            assert output.dtype == "float32", f"{policy}: output is {output.dtype}"

    if tmp_path is not None and isinstance(layer, keras.Model):
        path = tmp_path / f"{cls.__name__}.keras"
        layer.save(path)
        restored = keras.saving.load_model(path)
        np.testing.assert_allclose(
            _first(_call(restored, input_data, call_kwargs)), eager, atol=1e-6
        )
    return layer


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
