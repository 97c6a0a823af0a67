"""One sample's graph from the plots: a click on a training point of the decision-boundary
or fit plot shows that sample's own forward values and backward gradients on the canvas,
in the inspector and in the stepper (ViewState.show_sample); a click on it again, or on
another graph, shows the batch again. Never while a run is training (its numbers rule).

The sample is taken at the epoch on show: with the timeline scrubbed to epoch 62, at that
epoch's parameters; moving the timeline takes the same sample again at the new epoch (the
ring stays, the status bar follows)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphgui.core.train.sample import SampleError, batch_size, sample_evaluation
from graphgui.core.values import format_value

if TYPE_CHECKING:
    from ...shell import Shell


class SamplePicker:
    """Connects the plots' ``sample_clicked`` to the shell's view state."""

    def __init__(self, shell: Shell, panel: Any) -> None:
        self.shell = shell
        self.panel = panel
        for plot in (panel.boundary_plot, panel.fit_plot):
            plot.sample_clicked.connect(self.pick)
        shell.view_state.changed.connect(self._follow)

    def pick(self, index: int) -> None:
        vs = self.shell.view_state
        if self.panel.state != "idle":
            self.shell.show_message("Pause or stop the run to look at one sample's graph")
            return
        current = vs.sample
        if current is not None and current.index == index:
            vs.show_sample(None)  # the ringed point again: the batch (at the epoch on show)
            self.panel.timeline_bar.refresh()
            self.shell.show_message("The batch again: every sample's values and gradients")
            return
        self.show(index)

    def show(self, index: int) -> bool:
        """Show sample ``index`` at the epoch on show (the timeline's, else the graph's own
        parameters); False, with the reason in the status bar, when it cannot be taken."""
        vs = self.shell.view_state
        graph = self.shell.document.graph
        inputs = {"X": "X", "Y": "Y", **(self.panel.settings().get("inputs") or {})}
        parameters, epoch = self.panel.timeline_bar.moment()
        try:
            data = self.panel.dataset()
            axis = data.sample_axis if data is not None else 1
            if data is not None and batch_size(graph, inputs, axis) != data.n_train:
                raise SampleError("the graph's X does not hold the training split the plot "
                                  "shows; insert the data set again")
            sample = sample_evaluation(graph, index, inputs, axis=axis,
                                       parameters=parameters, epoch=epoch)
        except (SampleError, ValueError) as exc:
            self.shell.show_message(f"Cannot show one sample: {exc}", 10000)
            return False
        vs.show_sample(sample)
        out = sample.evaluation.output
        loss = sample.evaluation.values.get(out) if out is not None else None
        at = f" at epoch {epoch}" if epoch is not None else ""
        self.shell.show_message(
            f"Sample {index}{at}: loss {format_value(loss)}. Step it in the Stepper; click it "
            "again for the batch", 12000,
        )
        return True

    def _follow(self) -> None:
        """Ring the sample shown (none once the batch is shown again)."""
        sample = self.shell.view_state.sample
        for plot in (self.panel.boundary_plot, self.panel.fit_plot):
            plot.mark_sample(sample.index if sample is not None else None)
