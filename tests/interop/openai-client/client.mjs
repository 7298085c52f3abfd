// Drives a dynobs frontend with the official OpenAI Node client and prints what it got as one
// JSON object: node client.mjs <base URL, e.g. http://127.0.0.1:8000/v1> <model>
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "not-needed", maxRetries: 0, timeout: 20000 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

const chat = await client.chat.completions.create({
  model,
  messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }],
  max_tokens: 5,
});
out.chat = {
  id: chat.id,
  object: chat.object,
  content: chat.choices[0].message.content,
  role: chat.choices[0].message.role,
  finish_reason: chat.choices[0].finish_reason,
  usage: chat.usage,
};

const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Stream" }],
  max_tokens: 6,
  stream: true,
  stream_options: { include_usage: true },
});
const deltas = [];
let finish = null;
let usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    if (choice.delta?.content) deltas.push(choice.delta.content);
    if (choice.finish_reason) finish = choice.finish_reason;
  }
}
out.chat_stream = { deltas, finish_reason: finish, usage };

const completion = await client.completions.create({ model, prompt: "Once upon", max_tokens: 4 });
out.completion = {
  object: completion.object,
  text: completion.choices[0].text,
  usage: completion.usage,
};

const cstream = await client.completions.create({
  model, prompt: "Once upon", max_tokens: 4, stream: true,
});
const texts = [];
for await (const chunk of cstream) texts.push(...chunk.choices.map((c) => c.text));
out.completion_stream = { text: texts.join("") };

try {
  await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] });
  out.not_found = "no error";
} catch (e) {
  out.not_found = { status: e.status, code: e.code ?? e.error?.code };
}
try {
  await client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], temperature: 7 });
  out.bad_request = "no error";
} catch (e) {
  out.bad_request = { status: e.status, param: e.param ?? e.error?.param };
}

console.log(JSON.stringify(out));
