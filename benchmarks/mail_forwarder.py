"""Benchmark: the mail forwarder vs a bare get_object + SES send of the same bytes, against moto.

Run from the repository root:  python benchmarks/mail_forwarder.py [--quick]

Prints p50/p95 per message for 10 KB, 1 MB and 20 MB messages, the ratio of the forwarder's
median to the bare baseline's median, and the peak memory of one 20 MB forward measured in a
fresh subprocess (see METHOD below). Targets from the issue: ratio <= 1.3, peak <= 4x message size.

``--corpus DIR`` instead forwards every file under DIR (a larger real-mail corpus kept outside the
repository) as the corpus test does, and reports what was not forwarded exactly once, whole and
acceptable to SES (tests/mail/ses_rules.py), and why.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REGION = "eu-west-1"
DOMAIN = "aws.acme-corp.example"
BUCKET = "bench-mail-raw"
SIZES = {"10 KB": 10 * 1024, "1 MB": 1024 * 1024, "20 MB": 20 * 1024 * 1024}
ROUNDS = {"10 KB": 60, "1 MB": 30, "20 MB": 6}
METHOD = (
    "memory: one 20 MB message per fresh subprocess; the object is stored and the clients are warm "
    "before measuring. 'traced' = tracemalloc peak of Python allocations during the call; 'rss' = "
    "rise of the process's peak RSS (VmHWM, reset via /proc/self/clear_refs) over its RSS before the "
    "call. 'with moto' includes the in-process moto server decoding and parsing the sent message; "
    "'client side' answers SES send_email right after botocore has built the signed request (as in "
    "Lambda, where SES is remote), so it is what the function itself holds. The bare baseline does "
    "get_object + sesv2 send_email of the same bytes; forwarder - bare is the forwarder's own cost."
)


def _environment() -> None:
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "bench",
                        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench",
                        "MAIL_BUCKET": BUCKET, "MAIL_PREFIX": "inbound/",
                        "SENDER_ADDRESS": f"forwarder@{DOMAIN}"}.items():
        os.environ[name] = value
    os.environ["ROUTES"] = json.dumps({"domain": DOMAIN, "catchAll": None,
                                       "routes": {f"shop@{DOMAIN}": ["owner@acme-corp.example"]}})


def message_of(size: int) -> bytes:
    """A realistic multipart message (text + base64 attachment) of about ``size`` bytes."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Jane Doe <jane@example.org>"
    message["To"] = f"shop@{DOMAIN}"
    message["Subject"] = "Benchmark"
    message["DKIM-Signature"] = "v=1; a=rsa-sha256; d=example.org; s=s1; b=" + "A" * 300
    message.set_content("Hello\n" * 20)
    attachment = max(0, (size - 2048) * 3 // 4)
    message.add_attachment(os.urandom(attachment), maintype="application", subtype="octet-stream",
                           filename="data.bin")
    return message.as_bytes()


def event_of(message_id: str) -> dict:
    return {"Records": [{"ses": {
        "mail": {"messageId": message_id, "source": "jane@example.org", "destination": [f"shop@{DOMAIN}"]},
        "receipt": {"recipients": [f"shop@{DOMAIN}"], "virusVerdict": {"status": "PASS"},
                    "spamVerdict": {"status": "PASS"}},
    }}]}


class Bench:
    """A mocked account with the bucket and a verified domain; runs either path on demand."""

    def __init__(self) -> None:
        import boto3
        from moto import mock_aws

        from features.mail.forwarder import handler

        _environment()
        self.mock = mock_aws()
        self.mock.start()
        self.handler = handler
        handler.reset_clients()
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sesv2 = boto3.client("sesv2", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        boto3.client("ses", region_name=REGION).verify_domain_identity(Domain=DOMAIN)
        os.environ["LOOP_SECRET_ARN"] = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="bench-loop-key", SecretString=os.urandom(32).hex())["ARN"]
        self.counter = 0

    def store(self, raw: bytes) -> str:
        self.counter += 1
        message_id = f"bench{self.counter:08d}"
        self.s3.put_object(Bucket=BUCKET, Key=f"inbound/{message_id}", Body=raw)
        return message_id

    def forwarder(self, message_id: str) -> None:
        [result] = self.handler.handler(event_of(message_id))
        assert result["action"] == "forwarded", result

    def bare(self, message_id: str) -> None:
        raw = self.s3.get_object(Bucket=BUCKET, Key=f"inbound/{message_id}")["Body"].read()
        self.sesv2.send_email(FromEmailAddress=f"forwarder@{DOMAIN}",
                              Destination={"ToAddresses": ["owner@acme-corp.example"]},
                              Content={"Raw": {"Data": raw}})

    def forget_sent(self) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages.clear()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timings(quick: bool) -> dict[str, dict[str, list[float]]]:
    bench = Bench()
    results: dict[str, dict[str, list[float]]] = {}
    for label, size in SIZES.items():
        raw = message_of(size)
        rounds = max(3, ROUNDS[label] // (3 if quick else 1))
        times: dict[str, list[float]] = {"forwarder": [], "bare": []}
        for round_ in range(rounds + 1):  # round 0 warms caches and is discarded
            for path in (("forwarder", "bare") if round_ % 2 == 0 else ("bare", "forwarder")):
                message_id = bench.store(raw)
                gc.collect()
                start = time.perf_counter()
                getattr(bench, path)(message_id)
                elapsed = time.perf_counter() - start
                if round_:
                    times[path].append(elapsed)
                bench.forget_sent()
                bench.s3.delete_object(Bucket=BUCKET, Key=f"inbound/{message_id}")
        results[label] = times
    return results


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: object):
        yield self.data


def _answer_ses_locally() -> None:
    """Answer SES v2 SendEmail as soon as botocore has built the signed request (moto keeps S3)."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import BotocoreStubber

    moto_call = BotocoreStubber.__call__

    def call(self, event_name: str, request, **kwargs):
        if event_name == "before-send.sesv2.SendEmail":
            return AWSResponse(request.url, 200, {"Content-Type": "application/json"},
                               _Body(b'{"MessageId": "local-0001"}'))
        return moto_call(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = call


def memory_child(path: str, size: int, client_side: bool) -> None:
    """Subprocess body: measure one call of ``path`` on a ``size``-byte message; print JSON."""
    bench = Bench()
    if client_side:
        _answer_ses_locally()
    warm = bench.store(message_of(10 * 1024))
    getattr(bench, path)(warm)  # warm clients, imports and caches
    bench.forget_sent()
    raw = message_of(size)
    message_id = bench.store(raw)
    length = len(raw)
    del raw
    gc.collect()
    rss_before = _rss_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        hwm_reset = True
    except OSError:
        hwm_reset = False
    tracemalloc.start()
    getattr(bench, path)(message_id)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = _rss_kib("VmHWM")
    print(json.dumps({"size": length, "traced_peak": traced_peak,
                      "rss_rise": (rss_peak - rss_before) * 1024 if hwm_reset else None}))


def memory(path: str, size: int, client_side: bool) -> dict:
    mode = "client" if client_side else "moto"
    output = subprocess.run([sys.executable, __file__, "--memory-child", path, str(size), mode],
                            check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def run_corpus(directory: Path) -> int:
    """Forward every file under ``directory``; print each one not forwarded once, whole, acceptably."""
    import base64
    import logging
    import re

    import moto.sesv2.responses
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from tests.mail import moto_ses, ses_rules

    logging.disable(logging.WARNING)
    moto.sesv2.responses.base64 = moto_ses.LenientBase64()
    bench = Bench()
    accepted = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    wire: list[bytes] = []
    bench.handler._client("sesv2").meta.events.register(
        "before-send.sesv2.SendEmail",
        lambda request, **_: wire.append(base64.b64decode(json.loads(request.body)["Content"]["Raw"]["Data"])))
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    outcomes: dict[str, int] = {}
    for path in files:
        raw = re.sub(rb"\r?\n", b"\r\n", path.read_bytes())
        message_id = bench.store(raw)
        before = len(accepted)
        try:
            [result] = bench.handler.handler(event_of(message_id))
            again = bench.handler.handler(event_of(message_id))
            outcome = result["action"]
            if again[0]["action"] != "duplicate" or len(accepted) != before + 1:
                outcome = "not exactly once"
            elif outcome == "forwarded":
                out = wire[-1]
                problems = ses_rules.problems(out, f"forwarder@{DOMAIN}")
                body = raw[raw.find(b"\r\n\r\n") + 4:]
                if problems:
                    outcome = "unacceptable to SES: " + "; ".join(problems[:3])
                elif b"\r\n\r\n" in raw and not out.endswith(body):
                    outcome = "body changed"
        except Exception as error:  # reported, counted; the corpus run goes on
            outcome = f"failed: {type(error).__name__}"
            print(f"{path.relative_to(directory)}: {error!r:.120}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome != "forwarded":
            print(f"{path.relative_to(directory)}: {outcome}")
    print(f"{len(files)} messages: " + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    return 0 if set(outcomes) <= {"forwarded"} else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a third of the rounds")
    parser.add_argument("--corpus", type=Path, metavar="DIR", help="forward every file under DIR and report")
    parser.add_argument("--memory-child", nargs=3, metavar=("PATH", "SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        path, size, mode = args.memory_child
        memory_child(path, int(size), client_side=mode == "client")
        return
    if args.corpus:
        sys.exit(run_corpus(args.corpus))

    print("mail forwarder benchmark (moto 5 in-process; times per message)")
    print(f"{'size':>6}  {'path':>9}  {'n':>3}  {'p50 ms':>9}  {'p95 ms':>9}")
    results = timings(args.quick)
    for label, times in results.items():
        for path in ("forwarder", "bare"):
            values = times[path]
            print(f"{label:>6}  {path:>9}  {len(values):>3}  {statistics.median(values) * 1000:9.2f}  "
                  f"{percentile(values, 95) * 1000:9.2f}")
        ratio = statistics.median(times["forwarder"]) / statistics.median(times["bare"])
        print(f"{label:>6}  ratio forwarder/bare (p50): {ratio:.2f}  (target <= 1.3)")

    size = SIZES["20 MB"]
    mib = 1024 * 1024
    print()
    print(METHOD)
    for client_side in (True, False):
        forwarded, bare = memory("forwarder", size, client_side), memory("bare", size, client_side)
        mode = "client side" if client_side else "with moto"
        for name, numbers in (("forwarder", forwarded), ("bare", bare)):
            rss = numbers["rss_rise"]
            rss_text = f"{rss / mib:6.1f} MiB ({rss / numbers['size']:.2f}x)" if rss is not None else "n/a"
            print(f"20 MB {mode:>11} {name:>9}: traced peak {numbers['traced_peak'] / mib:6.1f} MiB "
                  f"({numbers['traced_peak'] / numbers['size']:.2f}x message)   rss rise {rss_text}")
        own = (forwarded["traced_peak"] - bare["traced_peak"]) / forwarded["size"]
        print(f"20 MB {mode:>11}: forwarder - bare = {own:+.2f}x message size (target: total <= 4x)")


if __name__ == "__main__":
    main()
