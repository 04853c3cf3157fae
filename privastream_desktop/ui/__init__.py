"""The Qt layer: widgets and the worker that carries frames to them. No engine logic lives here."""
