import gc

from fidus_desktop.events import EventBus, EventType


class Panel:
    def __init__(self):
        self.seen = []

    def on_notice(self, payload):
        self.seen.append(payload)


def test_subscribers_receive_events_and_closed_ones_are_dropped():
    bus = EventBus()
    panel = Panel()
    bus.subscribe(EventType.NOTICE, panel.on_notice)
    bus.publish(EventType.NOTICE, "saved")
    assert panel.seen == ["saved"]
    del panel
    gc.collect()
    bus.publish(EventType.NOTICE, "after close")  # a closed panel is never called


def test_builtin_callbacks_are_accepted():
    bus = EventBus()
    seen: list = []
    bus.subscribe(EventType.NOTICE, seen.append)
    bus.publish(EventType.NOTICE, 1)
    assert seen == [1]


def test_a_failing_subscriber_does_not_stop_the_others():
    bus = EventBus()
    seen: list = []

    def broken(_):
        raise RuntimeError("boom")

    bus.subscribe(EventType.NOTICE, broken)
    bus.subscribe(EventType.NOTICE, seen.append)
    bus.publish(EventType.NOTICE, "x")
    assert seen == ["x"]
