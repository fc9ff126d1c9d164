"""A workload team's program that uses only the installed groundwork library (no app, no stack
transformation): a bus whose rule buffers orders in a queue, a pipe from that queue into an SNS
topic, and the CloudEvents fan-out behind that topic."""

from groundwork.buses.bus import EventBusArgs, EventBusPlatform
from groundwork.buses.rules import Rule, SqsBufferTarget
from groundwork.context import load_context
from groundwork.fanout.component import CloudEventsFanout, CloudEventsFanoutArgs, Subscriber
from groundwork.fanout.filter_policy import CloudEventsFilter
from groundwork.pipes import EventPipe, EventPipeArgs, SnsTarget, SqsSource

ctx = load_context()

bus = EventBusPlatform("orders", EventBusArgs(
    context=ctx, bus="orders",
    rules={"placed-to-buffer": Rule(pattern={"source": ["com.acme.orders"], "detail-type": ["order.placed"]},
                                    targets=[SqsBufferTarget(name="fulfilment")])},
))
fanout = CloudEventsFanout("orders-fanout", CloudEventsFanoutArgs(
    context=ctx, topic="orders",
    subscribers=[Subscriber(name="billing", filter=CloudEventsFilter(type=("com.acme.order.placed",)))],
))
EventPipe("orders-to-fanout", EventPipeArgs(
    context=ctx,
    source=SqsSource(queue_arn=bus.buffers["placed-to-buffer"]["fulfilment"].arn, batch_size=1),
    target=SnsTarget(topic_arn=fanout.topic_arn),
))
