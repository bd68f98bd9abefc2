"""The OpenAI-compatible facade, spoken to by the official `openai` Python client, unchanged."""
import json
from pathlib import Path

import httpx
import jsonschema
import openai
import pytest

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What is backpressure?"


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0)


def test_models(client):
    assert [m.id for m in client.models.list()] == ["rag"]
    assert client.models.retrieve("rag").id == "rag"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    assert caught.value.code == "model_not_found"


def test_completion_and_stream_give_the_same_cited_answer(client):
    completion = client.chat.completions.create(
        model="rag", messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}])
    choice = completion.choices[0]
    assert completion.object == "chat.completion" and completion.model == "rag"
    assert choice.message.role == "assistant" and choice.finish_reason == "stop"
    answer = choice.message.content
    assert "[1]" in answer and "backpressure" in answer.lower()
    assert completion.usage.completion_tokens > 0

    chunks = list(client.chat.completions.create(
        model="rag", messages=[{"role": "user", "content": [{"type": "text", "text": QUESTION}]}], stream=True))
    assert all(c.object == "chat.completion.chunk" and c.model == "rag" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 3, "the answer arrives token by token"
    assert "".join(pieces) == answer
    assert [c.choices[0].finish_reason for c in chunks][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_stream_options_include_usage_adds_a_last_usage_chunk(client, server):
    chunks = list(client.chat.completions.create(
        model="rag", messages=[{"role": "user", "content": QUESTION}], stream=True,
        stream_options={"include_usage": True}))
    *answer, last = chunks
    assert last.choices == [] and last.id == answer[0].id
    text = "".join(c.choices[0].delta.content or "" for c in answer)
    assert "[1]" in text
    # Words, as in a chat.completion's usage.
    assert last.usage.prompt_tokens == len(QUESTION.split())
    assert last.usage.completion_tokens == len(text.split())
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None for c in answer)
    assert answer[-1].choices[0].finish_reason == "stop"

    # On the wire: every chunk is what the OpenAPI document says, and [DONE] ends it; a
    # JSON answer that comes whole gets its usage chunk too.
    spec = httpx.get(server.url + "/openapi.json").json()
    chunk_schema = {"$ref": "#/components/schemas/ChatCompletionChunk", "components": spec["components"]}
    for response_format in (None, {"type": "json_object"}):
        body = {"model": "rag", "messages": [{"role": "user", "content": QUESTION}], "stream": True,
                "stream_options": {"include_usage": True}}
        if response_format:
            body["response_format"] = response_format
        raw = httpx.post(server.url + "/v1/chat/completions", json=body, timeout=30)
        assert raw.status_code == 200
        data = [line[len("data: "):] for line in raw.text.split("\n") if line.startswith("data: ")]
        assert data[-1] == "[DONE]"
        for item in data[:-1]:
            jsonschema.validate(json.loads(item), chunk_schema)
        usage_chunk = json.loads(data[-2])
        assert usage_chunk["choices"] == [] and usage_chunk["usage"]["completion_tokens"] > 0
        assert all(json.loads(item)["usage"] is None for item in data[:-2])

    # OpenAI takes stream_options only with stream: true.
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="rag", messages=[{"role": "user", "content": QUESTION}], stream_options={"include_usage": True})
    assert caught.value.type == "invalid_request_error" and "stream_options" in caught.value.message


def test_json_schema_is_an_extraction_over_retrieved_passages(client, server):
    document = (ROOT / "Tests/Fixtures/extract/event-announcement.txt").read_text()
    posted = httpx.post(server.url + "/v1/documents", json={"documents": [
        {"id": "events/meetup-27.txt", "format": "text", "content": document}]})
    assert posted.status_code == 200
    schema = {
        "type": "object", "required": ["organiser_email", "registration_url"],
        "properties": {
            "organiser_email": {"type": "string", "format": "email", "description": "Organiser email"},
            "registration_url": {"type": "string", "format": "uri", "description": "Registration link"},
            "venue": {"type": "string", "description": "Venue"},
        },
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "event", "schema": schema}}
    messages = [{"role": "user", "content": "Lakeside Swift meetup registration organiser venue"}]
    completion = client.chat.completions.create(model="rag", messages=messages, response_format=response_format)
    data = json.loads(completion.choices[0].message.content)
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())
    assert data["organiser_email"] == "hello@lakeside-swift.example.org"
    # Streamed, the JSON still comes whole: one content chunk, never split.
    chunks = list(client.chat.completions.create(
        model="rag", messages=messages, response_format=response_format, stream=True))
    contents = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(contents) == 1 and json.loads(contents[0]) == data
    # Nothing to fill the required fields with: OpenAI's error shape, rag's code.
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(
            model="rag", messages=[{"role": "user", "content": "zyxwvut qqqq"}], response_format=response_format)
    assert caught.value.code == "extraction_incomplete"


def test_errors_have_openai_shape(client, server):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="rag", messages=[{"role": "assistant", "content": "Hello"}])
    assert caught.value.type == "invalid_request_error"
    raw = httpx.post(server.url + "/v1/chat/completions", content=b"{not json", headers={"Content-Type": "application/json"})
    assert raw.status_code == 400
    error = raw.json()["error"]
    assert {"message", "type", "code"} <= error.keys()
