// The path's type comes from this declaration, also where the kit is type-checked from an installed copy.
/// <reference path="./types/assets.d.ts" />
// The self-contained Scalar bundle; the package's `exports` map hides it, so it is imported by
// path. `type: "file"` embeds it in the compiled binary, so the page needs no internet.
import scalarBundlePath from "../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };

export default scalarBundlePath;
