// An example provider plugin: it answers by repeating the conversation's last user message.
// It imports only the kit and its own files, so it loads from PLUGINS_DIR under `bun start` and
// in the compiled binary alike.
import { definePlugin, Type } from "ollaix/plugin";
import { streamReply, toCompletion } from "./reply.ts";

export default definePlugin({
  name: "echo",
  env: Type.Object({
    ECHO_PREFIX: Type.String({ default: "echo: ", description: "text put before every answer" }),
  }),
  create(host) {
    const prefix = host.env.ECHO_PREFIX;
    host.logger.info("echo plugin ready", { prefix });
    return {
      name: "echo",
      models: [{ id: "echo-1", description: "Repeats your last message", context_length: 4096 }],
      async chat(request) {
        return toCompletion(prefix, request);
      },
      chatStream(request, ctx) {
        return streamReply(prefix, request, ctx.signal);
      },
    };
  },
});
