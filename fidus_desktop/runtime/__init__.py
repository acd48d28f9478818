"""The core runtime: long-lived services with start and stop, the one write path, the outbox, and
the watchers that bring other writers' changes in. Qt-free: the window, the CLI and tests drive
it the same way (see ``docs/runtime.md``)."""
