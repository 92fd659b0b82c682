"""AdamW with its per-variable update fused into one XLA kernel."""

import keras
import tensorflow as tf

from lmzoo.training.xla import xla_reaches_every_replica


def _adam_update(variable, momentum, velocity, gradient, alpha, beta_1, beta_2, eps):
    momentum.assign_add((gradient - momentum) * (1.0 - beta_1))
    velocity.assign_add((tf.square(gradient) - velocity) * (1.0 - beta_2))
    variable.assign_sub(momentum * alpha / (tf.sqrt(velocity) + eps))


def _tf_variable(variable):
    return variable.value if isinstance(variable, keras.Variable) else variable


def _replicas():
    return tf.distribute.get_replica_context().num_replicas_in_sync


class ClipAfterAllReduce:
    """Clips the summed gradient under a `tf.distribute` strategy, not each part.

    Keras clips (`clipnorm`, `global_clipnorm`) each replica's share of the
    gradient before it sums them across replicas, so with several replicas
    a clipped step is not the step of one device on the same global batch.
    Mixed into a Keras optimizer, this sums first and clips the sum, as one
    device would; with one replica nothing changes.
    """

    def _clip_gradients(self, grads):
        if _replicas() > 1:
            return grads  # clipped in _backend_update_step, once summed
        return super()._clip_gradients(grads)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if _replicas() == 1:
            return super()._backend_update_step(
                grads, trainable_variables, learning_rate
            )
        variables = [_tf_variable(v) for v in trainable_variables]
        summed = self._all_reduce_sum_gradients(
            list(zip(grads, variables, strict=True))
        )
        grads = super()._clip_gradients([gradient for gradient, _ in summed])
        tf.__internal__.distribute.interim.maybe_merge_call(
            self._distributed_tf_update_step,
            self._distribution_strategy,
            list(zip(grads, variables, strict=True)),
            learning_rate,
        )


@keras.saving.register_keras_serializable(package="lmzoo")
class SGD(ClipAfterAllReduce, keras.optimizers.SGD):
    """`keras.optimizers.SGD` that clips the gradient summed across replicas.

    Example:
    >>> SGD(learning_rate=1.0, global_clipnorm=5.0).global_clipnorm
    5.0
    """


@keras.saving.register_keras_serializable(package="lmzoo")
class AdamW(ClipAfterAllReduce, keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` whose moment and weight update is one XLA kernel.

    Keras writes the Adam update as about a dozen TensorFlow ops per variable,
    each a pass over the parameters. When the train step itself is compiled
    with XLA they fuse anyway; when it is not (mixed_bfloat16 on a CPU, the
    LSTM) this runs them as one fused loop per variable instead. The arithmetic
    is Keras' own, so results match `keras.optimizers.AdamW` to float32
    round-off. Takes the same arguments; `amsgrad=True`, and several
    replicas on CPUs (`xla_reaches_every_replica`), fall back to Keras'
    update. Under a strategy the gradient is clipped once summed across
    replicas (`ClipAfterAllReduce`).

    Example:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=AdamW(learning_rate=1e-3, weight_decay=0.1), loss="mse")
    >>> _ = model.fit(keras.ops.ones((4, 3)), keras.ops.ones((4, 1)), verbose=0)
    >>> int(model.optimizer.iterations)
    1
    """

    def build(self, variables):
        super().build(variables)
        # One traced kernel per optimizer: a module-level one would keep traces
        # that refer to the variables of optimizers already deleted.
        self._fused_update = tf.function(_adam_update, jit_compile=True)

    def update_step(self, gradient, variable, learning_rate):
        """Applies one Adam step to `variable` (weight decay is applied before).

        Args:
            gradient: the variable's gradient (dense or `tf.IndexedSlices`).
            variable: the variable to update.
            learning_rate: the current learning rate.
        """
        if self.amsgrad or not xla_reaches_every_replica():
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        alpha = (
            tf.cast(learning_rate, dtype)
            * tf.sqrt(1.0 - tf.pow(beta_2, step))
            / (1.0 - tf.pow(beta_1, step))
        )
        self._fused_update(
            _tf_variable(variable),
            _tf_variable(self._momentums[index]),
            _tf_variable(self._velocities[index]),
            tf.cast(tf.convert_to_tensor(gradient), dtype),
            alpha,
            beta_1,
            beta_2,
            tf.cast(self.epsilon, dtype),
        )


def transformer_adamw(learning_rate, weight_decay=0.01):
    """The fused `AdamW` with no weight decay on biases and LayerNorm parameters.

    How BERT and most Transformers are trained: decay pulls the weight
    matrices toward zero, but not the offsets and scales.

    Args:
        learning_rate: float or schedule.
        weight_decay: float. Defaults to `0.01`.

    Returns:
        `AdamW`.

    Example:
    >>> transformer_adamw(1e-3).weight_decay
    0.01
    """
    optimizer = AdamW(learning_rate, weight_decay=weight_decay)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer
