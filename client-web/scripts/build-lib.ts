// Builds the installable package into lib/: ES modules bundled by esbuild from the entry points (src/index.ts, the
// SDK; src/arena/index.ts, the arena, `@tickwire/client/arena`), with @bufbuild/protobuf left as an import for the
// consumer to resolve, and tsc's .d.ts declarations beside them. Declarations get explicit ".js" relative imports so
// that they also resolve under `moduleResolution: node16/nodenext`. The output is deterministic and committed
// (`make test` fails when it is stale).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const WEB = fileURLToPath(new URL("..", import.meta.url));
const LIB = join(WEB, "lib");
export const ENTRY_POINTS = ["src/index.ts", "src/arena/index.ts"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** Gives every relative import of a declaration file its ".js" (or "/index.js") ending. */
function fixSpecifiers(file: string): void {
  const src = readFileSync(file, "utf8");
  const out = src.replace(/(\bfrom\s+|\bimport\s*\(\s*)(["'])(\.\.?\/[^"']*)\2/g, (m, pre: string, q: string, spec: string) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return m;
    const base = resolve(dirname(file), spec);
    if (existsSync(base + ".d.ts")) return `${pre}${q}${spec}.js${q}`;
    if (existsSync(join(base, "index.d.ts"))) return `${pre}${q}${spec}/index.js${q}`;
    throw new Error(`${file}: cannot resolve ${spec}`);
  });
  if (out !== src) writeFileSync(file, out);
}

rmSync(LIB, { recursive: true, force: true });
execFileSync(join(WEB, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.lib.json"], { cwd: WEB, stdio: "inherit" });
for (const f of files(LIB)) if (f.endsWith(".d.ts")) fixSpecifiers(f);
await build({
  absWorkingDir: WEB,
  entryPoints: ENTRY_POINTS,
  outbase: "src",
  outdir: "lib",
  bundle: true,
  splitting: true, // code shared by the entry points lives once, in lib/chunks/
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  target: "es2022",
  packages: "external",
  legalComments: "none",
  logLevel: "warning",
});
