import packageJson from "../package.json" with { type: "json" };

/** Ollaix's version: package.json's, the one place it is written (embedded in the compiled binary). */
export const VERSION: string = packageJson.version;
