import asyncio
import subprocess
import time

import httpx
import requests
from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

router = APIRouter(prefix="/v1/reports")


@router.get("/slow")
async def slow_report():
    # ruleid: async-blocking-call
    time.sleep(2)
    return {"status": "done"}


@router.post("/fetch")
async def fetch(url: str):
    # ruleid: async-blocking-call
    response = requests.get(url, timeout=5)
    return response.json()


@router.get("/export", dependencies=[Depends(lambda: None)])
async def export():
    # ruleid: async-blocking-call
    with open("/tmp/report.csv") as handle:
        data = handle.read()
    # ruleid: async-blocking-call
    subprocess.run(["gzip", "/tmp/report.csv"], check=True)
    # ruleid: async-blocking-call
    with httpx.Client() as client:
        client.post("http://audit/log", json={"n": len(data)})
    return {"rows": len(data)}


@router.get("/ok-async")
async def ok_async():
    await asyncio.sleep(1)
    async with httpx.AsyncClient() as client:
        # ok: async-blocking-call
        response = await client.get("http://example.com")
    return response.json()


@router.get("/ok-thread")
async def ok_thread(url: str):
    def fetch_sync():
        # ok: async-blocking-call
        return requests.get(url, timeout=5).json()

    # ok: async-blocking-call
    data = await run_in_threadpool(fetch_sync)
    # ok: async-blocking-call
    await asyncio.to_thread(time.sleep, 1)
    return data


@router.get("/ok-sync")
def ok_sync():
    # ok: async-blocking-call
    time.sleep(1)
    return {}


async def background_job():
    # ok: async-blocking-call
    time.sleep(1)


@router.get("/mixed")
async def mixed(url: str):
    def fetch_sync():
        return requests.get(url, timeout=5).json()

    data = await run_in_threadpool(fetch_sync)
    # ruleid: async-blocking-call
    time.sleep(1)
    return data


@router.get("/wrapped")
async def wrapped(url: str):
    def fetch_sync(
        target: str,
        retries: int = 1,
    ) -> dict:
        # ok: async-blocking-call
        return requests.get(target, timeout=5).json()

    return await asyncio.to_thread(fetch_sync, url)


class ReportViews:
    @router.get("/class-async")
    async def class_async(self):
        # ruleid: async-blocking-call
        time.sleep(1)

    @router.get("/class-sync")
    def class_sync(self):
        # ok: async-blocking-call
        time.sleep(1)
