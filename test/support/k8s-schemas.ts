/**
 * Offline validation of rendered Kubernetes objects, with no cluster and no network:
 *
 * - `schemaErrors`: the object against its kind's JSON schema, compiled from Kubernetes' OpenAPI
 *   document (npm `kubernetes-models`) or from the Prometheus Operator's CRDs
 *   (`@kubernetes-models/prometheus-operator`, for ServiceMonitor, PodMonitor, PrometheusRule):
 *   required fields, types, enums, formats and patterns.
 * - `unknownFieldErrors`: fields the kind does not have. Kubernetes' schemas allow unknown fields,
 *   but `kubectl apply` refuses them (field validation is Strict by default), and a misspelt
 *   `readinesProbe` would otherwise pass silently. The same packages ship a TypeScript interface
 *   per kind; the objects are type-checked against them in memory, where TypeScript's excess-property
 *   check reports every unknown field at any depth (and every wrong type).
 */
import ts from 'typescript';
import { objectId, REPO_ROOT, type K8sObject } from './kustomize.ts';

/** The module of a kind: the core group is `v1`, CRDs of the Prometheus Operator have their own package. */
function modelModule(object: K8sObject): string {
  const pkg = object.apiVersion.startsWith('monitoring.coreos.com/')
    ? '@kubernetes-models/prometheus-operator'
    : 'kubernetes-models';
  return `${pkg}/${object.apiVersion}/${object.kind}`;
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The schema errors of one object; an unknown apiVersion/kind is an error too. */
export async function schemaErrors(object: K8sObject): Promise<string[]> {
  let model: ModelClass | undefined;
  try {
    const module = (await import(modelModule(object))) as Record<string, unknown>;
    model = module[object.kind] as ModelClass | undefined;
  } catch {
    model = undefined;
  }
  if (model === undefined) return [`${objectId(object)}: no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    return [`${objectId(object)}: ${(error as Error).message}`];
  }
}

/** A source file that never exists on disk, placed in the repository so that imports resolve from it. */
const CHECK_FILE = `${REPO_ROOT}test/k8s-strict-fields.generated.ts`;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
};

/**
 * Unknown fields and wrong types in `objects`, one message per object at most (TypeScript reports
 * the first problem of each declaration), e.g. `Deployment/exchange-api: ... 'readinesProbe' does
 * not exist in type 'IContainer'`. A kind with no interface is reported as well.
 */
export function unknownFieldErrors(objects: readonly K8sObject[]): string[] {
  const lines: string[] = [];
  const starts: number[] = [];
  objects.forEach((object, i) => {
    lines.push(`import type { I${object.kind} as T${i} } from '${modelModule(object)}';`);
  });
  let source = lines.join('\n') + '\n';
  objects.forEach((object, i) => {
    starts.push(source.length);
    source += `export const o${i}: T${i} = ${JSON.stringify(object, null, 1)};\n`;
  });

  const host = ts.createCompilerHost(COMPILER_OPTIONS);
  const readFromDisk = host.getSourceFile.bind(host);
  const existsOnDisk = host.fileExists.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    fileName === CHECK_FILE
      ? ts.createSourceFile(fileName, source, languageVersion)
      : readFromDisk(fileName, languageVersion, ...rest);
  host.fileExists = (fileName) => fileName === CHECK_FILE || existsOnDisk(fileName);
  const program = ts.createProgram([CHECK_FILE], COMPILER_OPTIONS, host);

  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file?.fileName === CHECK_FILE)
    .map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
      const position = diagnostic.start ?? 0;
      // Diagnostics in the import lines (an unknown kind) come before every object's start.
      let index = -1;
      while (index + 1 < starts.length && starts[index + 1]! <= position) index++;
      const object = objects[index];
      return object === undefined ? message : `${objectId(object)}: ${message}`;
    });
}
