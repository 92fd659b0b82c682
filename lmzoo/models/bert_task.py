"""The base of the BERT tasks: built from a `BertBackbone` or its arguments,
or from a Hugging Face checkpoint."""

import pathlib

import keras
import numpy as np
from keras import ops

from lmzoo.data.batching import sorted_batches
from lmzoo.interop import huggingface
from lmzoo.models.bert import BertBackbone
from lmzoo.models.task import Task, backbone_from


class BertTask(Task):
    """A task over a `BertBackbone`: built from one, or from its arguments."""

    prefers_jit_compile = True

    def __init__(
        self,
        backbone=None,
        preprocessor=None,
        name=None,
        trainable=True,
        **backbone_arguments,
    ):
        backbone = backbone_from(BertBackbone, backbone, backbone_arguments)
        super().__init__(backbone, preprocessor, name=name, trainable=trainable)

    @classmethod
    def from_huggingface(cls, path, sequence_length=128, dtype=None, **kwargs):
        """This task over a Hugging Face BERT checkpoint's backbone.

        The backbone's weights come from the checkpoint
        (`BertBackbone.from_huggingface`); the task's own head starts new.
        With a `vocab.txt` in the folder, the task also gets a
        `BertPreprocessor`, so it takes strings.

        Args:
            path: a folder written by `save_pretrained`.
            sequence_length: int. The preprocessor's packed length.
            dtype: optional dtype policy (`"mixed_bfloat16"`).
            **kwargs: the task's own arguments (`num_classes`, `name`).

        Returns:
            The task model, built.

        Example:
        >>> from lmzoo.models import BertClassifier
        >>> model = BertClassifier.from_huggingface(
        ...     "tests/fixtures/hf_tiny_bert", num_classes=3)
        >>> model(keras.ops.ones((1, 4), "int32")).shape
        TensorShape([1, 3])
        """
        from lmzoo.data.preprocessors import BertPreprocessor

        config, tensors = huggingface.read_checkpoint(path, "bert")
        backbone_kwargs = {} if dtype is None else {"dtype": dtype}
        backbone = BertBackbone.from_tensors(config, tensors, **backbone_kwargs)
        preprocessor = None
        if (pathlib.Path(path) / "vocab.txt").is_file():
            preprocessor = BertPreprocessor.from_huggingface(path, sequence_length)
        model = cls(backbone=backbone, preprocessor=preprocessor, **kwargs)
        model(ops.zeros((1, 1), "int32"))
        model._load_head_weights(tensors)
        return model

    def _load_head_weights(self, tensors):
        """Takes the checkpoint's weights for this task's head, if it has any."""

    def _predict_packed(self, features, batch_size=None, per_position=False):
        """Outputs for packed rows, run longest first, returned in row order.

        Per-position outputs are padded back to the rows' full width.
        """
        count, width = features["padding_mask"].shape
        outputs = {}
        for rows, batch in sorted_batches(features, batch_size or 32):
            result = self.predict_on_batch(batch)
            for key, value in (
                result if isinstance(result, dict) else {"": result}
            ).items():
                if key not in outputs:
                    shape = value.shape[2:] if per_position else value.shape[1:]
                    outputs[key] = np.zeros(
                        (count, *([width] if per_position else []), *shape), "float32"
                    )
                if per_position:
                    outputs[key][rows, : value.shape[1]] = value
                else:
                    outputs[key][rows] = value
        return outputs.get("", outputs)

    def _require_preprocessor(self):
        if self.preprocessor is None:
            raise ValueError(
                f"This {type(self).__name__} has no preprocessor: give it a "
                "BertPreprocessor to predict from strings."
            )

    def _dense(self, units, name, activation=None):
        return keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            dtype=self.dtype_policy,
            name=name,
        )
