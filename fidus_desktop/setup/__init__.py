"""Setting the app up from the window: the settings dialog's flow and checks
(:mod:`.session`), the first-run wizard's state machine (:mod:`.wizard`), the rules both apply
(:mod:`.rules`), and what they look at on this computer (:mod:`.terminals`). Qt-free: the
dialogs in ``ui/settings/`` only render these and pass the manager's input in.
"""
