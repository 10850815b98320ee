import { runPluginConformance } from "ollaix/plugin/testing";
import dummy from "./index.ts";

runPluginConformance(() => ({ plugin: dummy, model: "dummy-model:1.0", embeddingModel: "dummy-model:1.0" }));
