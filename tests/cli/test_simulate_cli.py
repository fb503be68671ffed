"""`raafperf simulate` as a user starts it, with the official openai SDK as its client."""

from __future__ import annotations

import signal
import subprocess
import sys

import openai


def test_openai_sdk_against_raafperf_simulate() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "raafperf", "simulate", "--port", "0", "--model", "gpt-4o-mini"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = next(word for word in line.split() if word.startswith("http://127.0.0.1:"))
        client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="not-a-real-key")

        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}]
        )
        assert reply.choices[0].message.content
        assert reply.choices[0].finish_reason == "stop"
        assert reply.usage is not None and reply.usage.prompt_tokens > 0
        assert reply.usage.completion_tokens > 0

        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Say hello"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        text, usage = "", None
        for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if chunk.usage is not None:
                usage = chunk.usage
        assert text and usage is not None and usage.completion_tokens > 0
        assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
