"""Training runs that take turns on the machine, a slice of training each."""

import statistics
import threading
import time

import keras


class CancelledError(Exception):
    """Raised in a run whose turn will not come: another run failed."""


class TakeTurns:
    """Runs several training jobs in threads, one at a time, in alternating slices.

    Each job keeps its own `fit` alive (its optimizer, schedule, data position
    and compiled train step), and passes the turn to the next job after every
    slice of training: `slice_seconds` of its own training time, or
    `slice_steps` steps. Whatever else loads the machine then falls on every
    job alike, which a run-after-run comparison under a wall-clock budget
    cannot promise. Only the job holding the turn runs, so the jobs never
    compete for the cores. A job keeps the turn from its start to its first
    slice's end, and from the end of its training to its end (evaluation,
    sampling, export), so that work happens while the others wait.

    Args:
        slice_seconds: float. Training seconds per turn. Defaults to `5.0`.
        slice_steps: optional int. Steps per turn, replacing `slice_seconds`.
        log: optional function called with a one-line status at a switch
            (at most every `log_interval` seconds).
        log_interval: float. Defaults to `15.0`.

    Example:
    >>> import numpy as np
    >>> turns = TakeTurns(slice_steps=2)
    >>> order = []
    >>> class Note(keras.callbacks.Callback):
    ...     def on_train_batch_end(self, batch, logs=None):
    ...         order.append(self.model.name)
    >>> def job(name):
    ...     def train(callback):
    ...         model = keras.Sequential([keras.layers.Dense(1)], name=name)
    ...         model.compile(loss="mse")
    ...         model.fit(np.ones((6, 1)), np.ones((6,)), batch_size=1,
    ...                   verbose=0, callbacks=[Note(), callback])
    ...         return name
    ...     return train
    >>> turns.run({"a": job("a"), "b": job("b")})
    {'a': 'a', 'b': 'b'}
    >>> "".join(order)
    'aabbaabbaabb'
    """

    def __init__(
        self, slice_seconds=5.0, slice_steps=None, log=None, log_interval=15.0
    ):
        if slice_steps is None and not slice_seconds > 0:
            raise ValueError(f"slice_seconds must be positive, got {slice_seconds}.")
        if slice_steps is not None and not slice_steps > 0:
            raise ValueError(f"slice_steps must be positive, got {slice_steps}.")
        self.slice_seconds = slice_seconds
        self.slice_steps = slice_steps
        self.log = log
        self.log_interval = log_interval
        self.switches = 0
        self.handoff_seconds = {}
        self.callbacks = {}
        self._condition = threading.Condition()
        self._waiting = []
        self._holder = None
        self._passed_at = None
        self._failed = False
        self._last_log = time.perf_counter()

    def run(self, jobs):
        """Runs `jobs` turn by turn, in the order given, until all have ended.

        Args:
            jobs: dict of name -> function taking a Keras callback (pass it
                to that job's `fit`, after any `TrainingBudget`) and
                returning the job's result.

        Returns:
            dict of name -> result, in the order of `jobs`.

        Raises:
            The first job's exception, when one fails; the others are then
            cancelled at their next turn.
        """
        names = list(jobs)
        self.handoff_seconds = dict.fromkeys(names, 0.0)
        self._waiting = list(names)
        self._holder = None
        policy = keras.config.dtype_policy()
        results, errors = {}, {}

        def work(name):
            try:
                keras.config.set_dtype_policy(policy)
                self._take(name)
                self.callbacks[name] = SliceCallback(self, name)
                results[name] = jobs[name](self.callbacks[name])
            except BaseException as error:  # noqa: BLE001 - re-raised below
                errors[name] = error
                if not isinstance(error, CancelledError):
                    with self._condition:
                        self._failed = True
            finally:
                self._end(name)

        threads = [
            threading.Thread(
                target=work, args=(name,), name=f"turn-{name}", daemon=True
            )
            for name in names
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for name in names:
            if name in errors and not isinstance(errors[name], CancelledError):
                raise errors[name]
        return {name: results[name] for name in names}

    def overhead_seconds(self, name):
        """Seconds a job lost to switching: hand-offs to it, slow first steps.

        Args:
            name: the job's name.

        Returns:
            float: the time from each switch to the job's resumption, plus
            `SliceCallback.resume_excess_seconds()`.
        """
        callback = self.callbacks.get(name)
        excess = callback.resume_excess_seconds() if callback else 0.0
        return self.handoff_seconds.get(name, 0.0) + excess

    def _take(self, name):
        with self._condition:
            while not self._failed and (
                self._holder is not None or self._waiting[0] != name
            ):
                self._condition.wait()
            if self._failed:
                raise CancelledError(name)
            self._holder = name
            if self._passed_at is not None:
                self.handoff_seconds[name] += time.perf_counter() - self._passed_at
                self._passed_at = None

    def _pass(self, name, status=None):
        """Ends `name`'s turn and waits for its next one."""
        with self._condition:
            if len(self._waiting) == 1:
                return
            self._waiting.append(self._waiting.pop(0))
            self._release()
        now = time.perf_counter()
        if (
            self.log is not None
            and status
            and now - self._last_log >= self.log_interval
        ):
            self._last_log = now
            self.log(status)
        self._take(name)

    def _end(self, name):
        with self._condition:
            if name in self._waiting:
                self._waiting.remove(name)
            if self._holder == name:
                self._release()

    def _release(self):
        self._holder = None
        self.switches += 1
        self._passed_at = time.perf_counter()
        self._condition.notify_all()


class SliceCallback(keras.callbacks.Callback):
    """Passes the turn at the end of a slice; made by `TakeTurns` for each job.

    Place it after a `TrainingBudget` in `fit`'s callbacks: the budget's clock
    then stops before the turn is passed and restarts after it comes back,
    so one job's training time never includes another's.

    Args:
        turns: the `TakeTurns` running the job.
        name: the job's name.
    """

    def __init__(self, turns, name):
        super().__init__()
        self.turns = turns
        self.name = name
        self.steps = 0
        self._slice_steps = 0
        self._slice_seconds = 0.0
        self._step_started = None
        self._resumed = False
        self._durations = {True: [], False: []}

    def on_train_batch_begin(self, batch, logs=None):
        self._step_started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        seconds = time.perf_counter() - self._step_started
        self._durations[self._resumed].append(seconds)
        self._resumed = False
        self.steps += 1
        self._slice_steps += 1
        self._slice_seconds += seconds
        if self.model.stop_training or not self._slice_over():
            return
        self._slice_steps, self._slice_seconds = 0, 0.0
        status = f"{self.name}: {self.steps:,} steps"
        if logs and "perplexity" in logs:
            status += f", training perplexity {float(logs['perplexity']):,.2f}"
        self.turns._pass(self.name, status)
        self._resumed = True

    def _slice_over(self):
        if self.turns.slice_steps is not None:
            return self._slice_steps >= self.turns.slice_steps
        return self._slice_seconds >= self.turns.slice_seconds

    def resume_excess_seconds(self):
        """How much longer the first steps after switches took than the others.

        `(mean first step after a switch - mean other step) * switches`, the
        job's very first step (compilation) left out; at least 0. Means, not
        medians: load that comes and goes slows both kinds of step alike.
        """
        resumed, steady = self._durations[True], self._durations[False][1:]
        if not resumed or not steady:
            return 0.0
        excess = statistics.fmean(resumed) - statistics.fmean(steady)
        return max(0.0, excess * len(resumed))
