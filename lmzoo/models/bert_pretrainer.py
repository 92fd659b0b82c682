"""BERT pre-training: masked language model and next sentence prediction."""

import keras
from keras import ops

from lmzoo.interop import huggingface
from lmzoo.layers.heads import MaskedLMHead
from lmzoo.models.bert_task import BertTask


@keras.saving.register_keras_serializable(package="lmzoo")
class BertPretrainer(BertTask):
    """Masked-LM logits (head tied to the token embedding) and next-sentence logits.

    Args:
        backbone: optional `BertBackbone`.
        **kwargs: `preprocessor`, `name`, `trainable`, or backbone arguments.

    Returns:
        A dict: `"mlm_logits"` `[B, T, vocabulary_size]` and `"nsp_logits"`
        `[B, 2]`, float32.

    Example:
    >>> model = BertPretrainer(vocabulary_size=100, hidden_dim=16)
    >>> outputs = model(keras.ops.ones((2, 8), "int32"))
    >>> outputs["mlm_logits"].shape, outputs["nsp_logits"].shape
    (TensorShape([2, 8, 100]), TensorShape([2, 2]))
    """

    def __init__(self, backbone=None, **kwargs):
        super().__init__(backbone, **kwargs)
        self.masked_lm_head = MaskedLMHead(
            self.backbone.vocabulary_size,
            layer_norm_epsilon=self.backbone.layer_norm_epsilon,
            dtype=self.dtype_policy,
            name="masked_lm_head",
        )
        self.next_sentence_dense = self._dense(2, "next_sentence_logits")

    def _load_head_weights(self, tensors):
        """Copies the masked-LM head, and the next-sentence head if present.

        Raises:
            ValueError: the checkpoint has no masked-LM head (a `BertModel`).
        """
        heads = {name: tensors[name] for name in huggingface.bert_head_names(tensors)}
        if "cls.predictions.bias" not in heads:
            raise ValueError(
                "This checkpoint has no masked-LM head (cls.predictions.*); load "
                "its backbone with BertBackbone.from_huggingface."
            )
        next_sentence = (
            self.next_sentence_dense if "cls.seq_relationship.weight" in heads else None
        )
        huggingface.assign(
            huggingface.bert_pretraining_targets(self.masked_lm_head, next_sentence),
            heads,
            "bert",
        )

    def call(self, inputs, training=None):
        outputs = self.backbone(inputs, training=training)
        embeddings = self.backbone.token_embedding.embeddings
        return {
            "mlm_logits": self.masked_lm_head(outputs["sequence_output"], embeddings),
            "nsp_logits": ops.cast(
                self.next_sentence_dense(outputs["pooled_output"]), "float32"
            ),
        }
