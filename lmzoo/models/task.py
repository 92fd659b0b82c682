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
        self._check_tokenizers()

    def _check_tokenizers(self):
        """Refuses a tokenizer with more ids than the input it feeds."""
        if self.preprocessor is None:
            return
        tokenizers = {
            "token_ids": getattr(self.preprocessor, "tokenizer", None),
            "encoder_token_ids": getattr(self.preprocessor, "source_tokenizer", None),
            "decoder_token_ids": getattr(self.preprocessor, "target_tokenizer", None),
        }
        for key, limit in self.id_limits().items():
            tokenizer = tokenizers.get(key)
            size = getattr(tokenizer, "vocabulary_size", None)
            if size is not None and size > limit:
                raise ValueError(
                    f"The tokenizer has {size} ids but the model's vocabulary for "
                    f"{key} has {limit}: ids {limit} to {size - 1} would fall "
                    f"outside its embedding. Build the model with a vocabulary "
                    f"size of at least {size}."
                )

    def id_limits(self):
        """The vocabulary size of each id input, for `fit`/`predict` checks.

        Returns:
            dict of input key -> number of ids (`{"token_ids": V}`; an
            encoder-decoder names its two inputs).
        """
        return {"token_ids": self.backbone.vocabulary_size}

    def _checked(self, x):
        """`x` with its token ids checked against the vocabulary on the host.

        A gather past the end of an embedding raises on CPU but reads zeros
        on GPU, and a check inside the compiled step would not run under
        XLA, so ids are checked here: NumPy inputs at once, a dataset in its
        input pipeline. The error names the input, the bad id and the size.
        """
        limits = self.id_limits()
        if isinstance(x, tf.data.Dataset):
            return x.map(lambda *element: _assert_ids(element, limits))
        features = x if isinstance(x, dict) else {"token_ids": x}
        for key, limit in limits.items():
            value = features.get(key)
            if (
                value is None
                or isinstance(value, tf.Tensor)
                and not tf.executing_eagerly()
            ):
                continue
            ids = np.asarray(value)
            if ids.dtype.kind not in "iu" or ids.size == 0:
                continue
            bad = ids[(ids < 0) | (ids >= limit)]
            if bad.size:
                raise ValueError(_out_of_range(key, int(bad[0]), limit))
        return x

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
        # A dataset comes in its own order: Keras would warn that it ignores
        # `shuffle`, which defaults to True here as in Keras.
        shuffle = shuffle and not isinstance(x, tf.data.Dataset)
        return super().fit(
            self._checked(x), y, batch_size=batch_size, shuffle=shuffle, **kwargs
        )

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        """`keras.Model.evaluate`, which also takes raw strings."""
        batches = self._text_batches(x, batch_size, y=y)
        if batches is not None:
            return super().evaluate(batches, **kwargs)
        return super().evaluate(self._checked(x), y, batch_size=batch_size, **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        """`keras.Model.predict`, which also takes raw strings."""
        batches = self._text_batches(x, batch_size)
        if batches is not None:
            return super().predict(batches, **kwargs)
        return super().predict(self._checked(x), batch_size=batch_size, **kwargs)

    def train_step(self, data):
        return _reducible_across_workers(super().train_step(data))

    def test_step(self, data):
        return _reducible_across_workers(super().test_step(data))

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Keras peeks at the first distributed batch and averages it across
        replicas to learn its shapes; across workers that is a collective
        over int32 token ids, which fails. One worker's own batch has the
        same shapes, so this passes that instead."""
        strategy = getattr(self, "_distribute_strategy", None)
        if (
            iterator is not None
            and data_batch is None
            and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        ):
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(
                    lambda value: strategy.experimental_local_results(value)[0],
                    next(batches),
                )
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

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


def _reducible_across_workers(logs):
    """Keras 3 averages a step's logs across workers along axis 0, which a
    scalar lacks ("Invalid reduction dimension 0", tensorflow#72388); under
    `MultiWorkerMirroredStrategy` each log gets that axis, of length 1, and
    comes out of the average a scalar again."""
    strategy = tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return logs
    return tf.nest.map_structure(lambda value: tf.reshape(value, [1]), logs)


def _out_of_range(key, token_id, limit):
    return (
        f"{key}: token id {token_id} is out of range; the model's vocabulary has "
        f"{limit} ids (0 to {limit - 1})."
    )


def _assert_ids(element, limits):
    """Passes a dataset element through, failing on an id outside its vocabulary."""
    features = (
        element[0]
        if isinstance(element, tuple) and len(element) > 1
        else (element[0] if isinstance(element, tuple) else element)
    )
    features = features if isinstance(features, dict) else {"token_ids": features}
    checks = []
    for key, limit in limits.items():
        ids = features.get(key)
        if ids is None or not ids.dtype.is_integer:
            continue
        bad = tf.boolean_mask(ids, (ids < 0) | (ids >= limit))
        checks.append(
            tf.debugging.Assert(
                tf.size(bad) == 0,
                [
                    f"{key}: token id",
                    bad[:1],
                    f"is out of range; the model's "
                    f"vocabulary has {limit} ids (0 to {limit - 1}).",
                ],
            )
        )
    with tf.control_dependencies(checks):
        element = tf.nest.map_structure(tf.identity, element)
    return element if len(element) > 1 else element[0]


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
