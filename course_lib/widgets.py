"""Small helpers for the ipywidgets explorers the chapters build."""
from __future__ import annotations

import ipywidgets as widgets


def float_slider(description: str, value: float, min: float, max: float, step: float = 0.1,
                 **kwargs) -> widgets.FloatSlider:
    """A FloatSlider with the course's defaults (readout with 2 decimals, updates while dragging)."""
    return widgets.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                               readout_format=".2f", continuous_update=True,
                               style={"description_width": "initial"}, **kwargs)


def explorer(draw, controls: dict[str, widgets.Widget], columns: int = 3) -> widgets.VBox:
    """Lay out `controls` in a grid above an output area; call `draw(**values)` on every change.

    `draw` makes a plot or prints; its output replaces the previous one. The returned box is what
    a notebook cell displays. Test hook: `box.draw_now()` redraws with the current values.
    """
    out = widgets.Output()

    def redraw(*_):
        import matplotlib.pyplot as plt

        with out:
            out.clear_output(wait=True)
            draw(**{name: w.value for name, w in controls.items()})
            plt.show()

    for w in controls.values():
        w.observe(redraw, names="value")
    rows = [widgets.HBox(list(controls.values())[i:i + columns]) for i in range(0, len(controls), columns)]
    box = widgets.VBox([*rows, out])
    box.draw_now = redraw
    redraw()
    return box
