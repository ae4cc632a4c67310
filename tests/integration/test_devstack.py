"""The local stack's infrastructure works: Kafka round trip with the producer settings the
services use, separate PostgreSQL servers with password logins, the SMTP sink and its API."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import aiosmtplib
import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

pytestmark = pytest.mark.integration


async def test_kafka_round_trip(infra):
    topic = f"devstack-selftest-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.cfg.kafka_bootstrap, acks="all", enable_idempotence=True,
        **infra.cfg.kafka_auth().client_options(),
    )
    await producer.start()
    try:
        sent = [
            await producer.send_and_wait(topic, f"event-{i}".encode(), key=b"conversation-1")
            for i in range(3)
        ]
    finally:
        await producer.stop()
    assert len({md.partition for md in sent}) == 1  # same key, same partition, kept in order

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.cfg.kafka_bootstrap,
        group_id=f"selftest-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **infra.cfg.kafka_auth().client_options(),
    )
    await consumer.start()
    try:
        got = []
        while len(got) < 3:
            batch = await consumer.getmany(timeout_ms=20_000, max_records=10)
            assert batch, "no records consumed within 20s"
            got += [r.value for records in batch.values() for r in records]
        await consumer.commit()
    finally:
        await consumer.stop()
    assert got == [b"event-0", b"event-1", b"event-2"]


def test_postgres_servers_are_separate(infra):
    cfg = infra.cfg
    seen = {}
    for server in cfg.pg_servers:
        for db in server.databases:
            url = cfg.database_url(server.name, db).replace(
                "postgresql+psycopg://", "postgresql://"
            )
            with psycopg.connect(url, connect_timeout=10) as conn:
                # Over the socket (no inet_server_port): the server's own setting.
                user, port, started = conn.execute(
                    "SELECT current_user, current_setting('port')::int,"
                    " pg_postmaster_start_time()"
                ).fetchone()
                assert user == db
                assert port == cfg.pg_port(server.name)
                conn.execute("CREATE TABLE IF NOT EXISTS selftest (id int)")  # owns its db
            seen.setdefault(server.name, set()).add(started)
        with infra.pg[f"pg-{server.name}"].admin_connect() as admin:
            data_dir = admin.execute("SHOW data_directory").fetchone()[0]
        assert data_dir.endswith(f"/pg/{server.name}")
    # one server process per PgServer: each has its own start time, all databases of a
    # server share it
    assert all(len(times) == 1 for times in seen.values())
    assert len({next(iter(t)) for t in seen.values()}) == len(cfg.pg_servers)

    # Logins need the password (scram-sha-256), on TCP and on the socket the services use;
    # only the stack's own superuser is trusted there.
    for host in ("127.0.0.1", str(cfg.pg_socket_dir)):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(
                host=host,
                port=cfg.pg_port("patient"),
                user="patient_mailbox",
                password="wrong",
                dbname="patient_mailbox",
                connect_timeout=10,
            )


async def test_mail_reaches_sink(infra, mailsink):
    rcpt = f"unit-{uuid.uuid4().hex[:8]}@care.example"
    msg = EmailMessage()
    msg["From"] = "noreply@minavardkontakter.example"
    msg["To"] = rcpt
    msg["Subject"] = "Nytt meddelande i Mina vårdkontakter"
    msg.set_content("Du har fått ett nytt meddelande. Logga in för att läsa det.")
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=infra.cfg.smtp_port)

    got = await mailsink.wait_for_async(to=rcpt, timeout=10)
    assert got["mail_from"] == "noreply@minavardkontakter.example"
    assert got["rcpt_tos"] == [rcpt]
    assert got["subject"] == "Nytt meddelande i Mina vårdkontakter"
    assert "Logga in för att läsa det." in got["body"]
    assert got["received_at"]
    assert list((infra.cfg.data_dir / "mail").glob(f"*{got['id']}.eml"))
    async with httpx.AsyncClient() as http:
        page = (await http.get(f"http://127.0.0.1:{infra.cfg.mailsink_http_port}/")).text
    assert "Nytt meddelande i Mina vårdkontakter" in page

    # crash and restart: the sink reloads its mail from disk; the supervisor API works
    infra.kill_service("mailsink")
    assert not infra.running("mailsink")
    infra.start_service("mailsink")
    assert [m["id"] for m in mailsink.messages(to=rcpt)] == [got["id"]]

    mailsink.clear()
    assert mailsink.messages() == []

    rss = infra.rss_report()
    assert {"kafka", "mailsink", "pg-patient", "total"} <= rss.keys()
    assert all(v > 0 for v in rss.values())
