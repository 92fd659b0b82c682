"""The task model: one backbone, one head and an optional preprocessor."""

import keras
import numpy as np
import tensorflow as tf

_DEFAULT_BATCH_SIZE = 32


class Task(keras.Model):
    """Base of every lmzoo task model (`GPT`, `LSTMLanguageModel`, ...).

    A task owns one backbone (inputs -> hidden states), the head it puts on
    top, and a preprocessor (a Keras layer: strings -> inputs) when it has
    one. Several tasks can share one backbone instance. With a preprocessor,
    `fit`, `evaluate` and `predict` also take raw strings: a list or array of
    them, or a `tf.data.Dataset` of them, which the task batches and maps
    through the preprocessor in the input pipeline. Only the backbone and
    head run inside the compiled (XLA) step.

    Args:
        backbone: the backbone `keras.Model`.
        preprocessor: optional preprocessor layer.
        **kwargs: other `keras.Model` arguments (`name`, `trainable`).

    Example:
    >>> import lmzoo
    >>> model = lmzoo.models.GPT(vocabulary_size=65, num_layers=1, hidden_dim=16)
    >>> isinstance(model, Task), type(model.backbone).__name__
    (True, 'GPTBackbone')
    """

    def __init__(self, backbone, preprocessor=None, **kwargs):
        super().__init__(dtype=backbone.dtype_policy, **kwargs)
        self.backbone = backbone
        self.preprocessor = preprocessor

    @property
    def tokenizer(self):
        """The preprocessor's tokenizer, or `None` without a preprocessor."""
        return None if self.preprocessor is None else self.preprocessor.tokenizer

    def _text_batches(self, x, batch_size, shuffle=False, y=None):
        """`x` (and labels `y`) as preprocessed batches when it is text, else `None`.

        A list of strings is shuffled each epoch when `shuffle` (as Keras
        shuffles arrays); a dataset is taken in its own order. A dataset may
        hold strings or `(strings, labels)` pairs.
        """
        if self.preprocessor is None:
            return None
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            text = spec[0] if isinstance(spec, tuple) else spec
            if isinstance(text, tf.TensorSpec) and text.dtype == tf.string:
                if text.shape.rank == 0:
                    x = x.batch(batch_size or _DEFAULT_BATCH_SIZE)
                return x.map(
                    lambda *element: self.preprocessor(*element),
                    num_parallel_calls=tf.data.AUTOTUNE,
                )
            return None
        if isinstance(x, str):
            x = [x]
        if not is_text(x):
            return None
        strings = tf.constant(list(x), tf.string)
        if y is None:
            dataset = tf.data.Dataset.from_tensor_slices(strings)
        else:
            dataset = tf.data.Dataset.from_tensor_slices((strings, np.asarray(y)))
        if shuffle:
            dataset = dataset.shuffle(len(x), reshuffle_each_iteration=True)
        return self._text_batches(dataset, batch_size)

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        validation_data=None,
        shuffle=True,
        **kwargs,
    ):
        """`keras.Model.fit`, which also takes raw strings (see the class doc)."""
        if isinstance(validation_data, tuple) and len(validation_data) == 2:
            texts, labels = validation_data
            validation_data = (
                self._text_batches(texts, batch_size, y=labels) or validation_data
            )
        elif validation_data is not None:
            validation_data = (
                self._text_batches(validation_data, batch_size) or validation_data
            )
        kwargs["validation_data"] = validation_data
        batches = self._text_batches(x, batch_size, shuffle, y)
        if batches is not None:
            return super().fit(batches, shuffle=False, **kwargs)
        return super().fit(x, y, batch_size=batch_size, shuffle=shuffle, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.evaluate`, which also takes raw strings."""
        batches = self._text_batches(x, batch_size, y=y)
        if batches is not None:
            return super().evaluate(batches, **kwargs)
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        """`keras.Model.predict`, which also takes raw strings."""
        batches = self._text_batches(x, batch_size)
        if batches is not None:
            return super().predict(batches, **kwargs)
        return super().predict(x, batch_size=batch_size, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "preprocessor": keras.saving.serialize_keras_object(self.preprocessor),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "backbone" not in config:
            raise ValueError(
                f"This {cls.__name__} config predates lmzoo's backbone/task split. "
                "Convert its .keras file with lmzoo.models.upgrade_keras_file(old, "
                "new) and load the new file."
            )
        for key in ("backbone", "preprocessor"):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def is_text(x):
    """Whether `x` is a non-empty list, tuple or array of strings.

    Args:
        x: anything a model is called or fitted on.

    Returns:
        bool.

    Example:
    >>> is_text(["a", "b"]), is_text(np.array(["a"])), is_text(np.zeros(2))
    (True, True, False)
    """
    if isinstance(x, np.ndarray):
        return bool(x.size) and (
            x.dtype.kind in "SU" or isinstance(x.flat[0], str | bytes)
        )
    return isinstance(x, list | tuple) and bool(x) and isinstance(x[0], str | bytes)


def backbone_from(backbone_class, backbone, arguments):
    """A task's backbone: the one given, or one built from its arguments.

    Args:
        backbone_class: the backbone class.
        backbone: a backbone, its serialized config, or `None`.
        arguments: dict of backbone constructor arguments (used when
            `backbone` is `None`).

    Returns:
        A backbone instance.

    Raises:
        ValueError: both a backbone and arguments were given.

    Example:
    >>> from lmzoo.models.gpt import GPTBackbone
    >>> backbone_from(GPTBackbone, None, {"vocabulary_size": 5}).hidden_dim
    128
    """
    if backbone is None:
        return backbone_class(**arguments)
    if arguments:
        raise ValueError(
            f"Give a backbone or its arguments, not both; got a backbone and "
            f"{sorted(arguments)}."
        )
    if isinstance(backbone, dict):
        return keras.saving.deserialize_keras_object(backbone)
    return backbone


def refuse_encoder_outputs(encoder_outputs, encoder_padding_mask):
    """The generation hook of a decoder-only model: refuses encoder outputs.

    Args:
        encoder_outputs: must be `None`.
        encoder_padding_mask: must be `None`.

    Raises:
        ValueError: either was given.

    Example:
    >>> refuse_encoder_outputs(None, None)
    """
    if encoder_outputs is not None or encoder_padding_mask is not None:
        raise ValueError("A decoder-only model takes no encoder outputs.")
