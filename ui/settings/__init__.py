"""The settings dialog and the first-run wizard: renderers of ``fidus_desktop.setup`` (the flow,
checks and rules live there). Each setting is shown with the description declared on its field
in ``fidus_desktop/config.py``."""
