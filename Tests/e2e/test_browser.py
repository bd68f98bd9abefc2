"""A real browser's EventSource against `rag serve` (Debian's chromium, driven by selenium).

The connection is cut in the middle of the answer by a small TCP proxy between the
browser and the server (as a mobile network or a proxy would); the page must still end
with the full answer, exactly once: EventSource reconnects with Last-Event-ID and the
server sends the rest of the same job.
"""
import shutil
import socket
import threading
import time
import urllib.parse

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


class CuttingProxy:
    """Forwards TCP to the server; cuts the first /v1/ask stream after a few tokens."""

    def __init__(self, upstream_port, cut_after_tokens=6):
        self.upstream_port = upstream_port
        self.cut_after_tokens = cut_after_tokens
        self.port = free_port()
        self.cuts = 0
        self.ask_requests = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def serve(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        # Browsers reuse connections: watch every request going up, not just the first.
        state = {"cut": False}
        threading.Thread(target=self.pump_requests, args=(client, upstream, state), daemon=True).start()
        tokens = 0
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if state["cut"]:
                    tokens += data.count(b"event: token")
                    if tokens >= self.cut_after_tokens:
                        # Forward part of what came, then drop the connection mid-stream.
                        client.sendall(data[: len(data) // 2])
                        self.cuts += 1
                        break
                client.sendall(data)
        except OSError:
            pass
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def pump_requests(self, client, upstream, state):
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                if b"GET /v1/ask" in data:
                    self.ask_requests.append(data.split(b"\r\n\r\n")[0].decode("latin-1"))
                    if self.cuts == 0 and b"last-event-id" not in data.lower():
                        state["cut"] = True
                upstream.sendall(data)
        except OSError:
            pass

    def close(self):
        self.listener.close()


@pytest.fixture()
def browser():
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.fail("chromium and chromium-driver are needed (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def wait_for_state(driver, states, timeout=60):
    WebDriverWait(driver, timeout).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in states)
    return driver.find_element(By.TAG_NAME, "body")


def test_event_source_resumes_after_a_cut_and_shows_the_answer_once(server, browser):
    proxy = CuttingProxy(server.port)
    try:
        question = "What is backpressure and why do streaming servers need it?"
        browser.get(f"http://127.0.0.1:{proxy.port}/?q={urllib.parse.quote(question)}&k=5")
        body = wait_for_state(browser, {"done", "error", "closed"})
        assert body.get_attribute("data-state") == "done", browser.find_element(By.ID, "status").text
        assert proxy.cuts == 1, "the proxy should have cut the first stream"
        assert int(body.get_attribute("data-reconnects")) >= 1
        # No gap, no duplicate, one job: every seq arrived once, in order.
        assert body.get_attribute("data-anomalies") == ""
        answer = body.get_attribute("data-answer")
        assert answer and answer == body.get_attribute("data-final-answer")
        assert body.get_attribute("data-finish-reason") == "stop"
        # The page shows it once, and it is the job's answer.
        shown = browser.find_element(By.ID, "answer").text
        assert shown == answer
        job = httpx.get(f"{server.url}/v1/jobs/{body.get_attribute('data-job')}").json()
        assert job["answer"] == answer and job["status"] == "done"
        # The reconnect asked for the rest of the same job.
        assert any(f"Last-Event-ID: {job['id']}:" in r or f"last-event-id: {job['id']}:" in r.lower() for r in proxy.ask_requests[1:])
    finally:
        proxy.close()


def test_page_streams_found_docs_and_citations(server, browser):
    browser.get(f"{server.url}/?q={urllib.parse.quote('什么是背压？')}")
    body = wait_for_state(browser, {"done", "error", "closed"})
    assert body.get_attribute("data-state") == "done"
    docs = browser.find_elements(By.CSS_SELECTOR, "ol#docs li")
    assert docs, "found passages are listed"
    links = browser.find_elements(By.CSS_SELECTOR, "#answer a")
    assert links, "citations link to the passages"
    for link in links:
        n = int(link.text.strip("[]"))
        assert 1 <= n <= len(docs)
    assert "背压" in browser.find_element(By.ID, "answer").text
