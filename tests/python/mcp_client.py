"""The MCP Python SDK (PyPI `mcp`, pinned in requirements.txt) as a client of the Worker.

Run by tests/e2e/mcp-python.test.mjs, once per case: it connects with the bearer token the test
obtained (in MCP_TOKEN), lists the tools, calls `add`, and with --slow-profile calls `getUserProfile` (which the
test has made slow at WorkOS's side) and sends a ping 0.3 s later. It prints what it saw as one
JSON object; the test asserts on it.
"""

import argparse
import json
import os

import anyio
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def texts(result):
    return [c.text for c in result.content if getattr(c, "type", None) == "text"]


async def run(args):
    headers = {"Authorization": f"Bearer {os.environ['MCP_TOKEN']}"}
    seen = {}
    async with create_mcp_http_client(headers=headers) as http:
        if args.transport == "sse":
            transport = sse_client(args.url, headers=headers)
        else:
            transport = streamable_http_client(args.url, http_client=http)
        async with Client(transport, mode=args.mode) as client:
            seen["protocolVersion"] = client.protocol_version
            seen["tools"] = sorted(t.name for t in (await client.list_tools()).tools)
            added = await client.call_tool("add", {"a": 2, "b": 3})
            seen["add"] = {"isError": bool(added.is_error), "text": texts(added)}
            if args.slow_profile:
                order = []

                async def profile():
                    result = await client.call_tool("getUserProfile", {})
                    order.append("profile")
                    seen["profile"] = {"isError": bool(result.is_error), "text": texts(result)}

                async def ping():
                    await anyio.sleep(0.3)
                    await client.send_ping()
                    order.append("ping")

                async with anyio.create_task_group() as tg:
                    tg.start_soon(profile)
                    tg.start_soon(ping)
                seen["order"] = order
    print(json.dumps(seen))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--transport", choices=["sse", "http"], required=True)
    parser.add_argument("--mode", default="auto")
    parser.add_argument("--slow-profile", action="store_true")
    args = parser.parse_args()
    anyio.run(run, args)


if __name__ == "__main__":
    main()
