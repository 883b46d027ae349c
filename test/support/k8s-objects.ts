/**
 * Typed views of rendered Kubernetes objects for the k8s tests (test/integration/k8s): workloads
 * with their pod templates, label selection, and the exchange's own containers. Types come from
 * `kubernetes-models`, the package the objects are validated against.
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import { objectId, renderKustomization, type K8sObject } from './kustomize.ts';

export type { IContainer, IPodTemplateSpec };
export type ILabelSelector = IDeploymentSpec['selector'];

/** The exchange's processes, by their `app.kubernetes.io/component` label. */
export const EXCHANGE_COMPONENTS = ['api', 'matcher', 'migrate'] as const;
export type ExchangeComponent = (typeof EXCHANGE_COMPONENTS)[number];

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'Job']);

export interface Workload {
  readonly id: string;
  readonly object: K8sObject;
  readonly kind: 'Deployment' | 'StatefulSet' | 'Job';
  readonly spec: Record<string, unknown> & { readonly template: IPodTemplateSpec };
  readonly template: IPodTemplateSpec;
  readonly labels: Readonly<Record<string, string>>;
  /** The exchange process it runs, or undefined for a datastore (dev's Redis and MariaDB). */
  readonly component: ExchangeComponent | undefined;
  readonly containers: readonly IContainer[];
}

export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((object) => {
      const spec = object.spec as Workload['spec'];
      const labels = spec.template.metadata?.labels ?? {};
      const component = labels['app.kubernetes.io/component'];
      return {
        id: objectId(object),
        object,
        kind: object.kind as Workload['kind'],
        spec,
        template: spec.template,
        labels,
        component: (EXCHANGE_COMPONENTS as readonly string[]).includes(component ?? '')
          ? (component as ExchangeComponent)
          : undefined,
        containers: [
          ...(spec.template.spec?.initContainers ?? []),
          ...(spec.template.spec?.containers ?? []),
        ],
      };
    });
}

/** The one workload running `component`; throws when there is none or several. */
export function workloadOf(objects: readonly K8sObject[], component: ExchangeComponent): Workload {
  const found = workloads(objects).filter((w) => w.component === component);
  if (found.length !== 1) throw new Error(`expected one ${component} workload, found ${found.length}`);
  return found[0]!;
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(selector: ILabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every((expression) => {
    const value = labels[expression.key];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && (expression.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(expression.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        throw new Error(`unknown selector operator ${expression.operator}`);
    }
  });
  return byLabel && byExpression;
}

/** The object of this kind and name, or undefined. */
export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** The base and the overlays, rendered once per test run. */
const rendered = new Map<string, K8sObject[]>();
export function rendering(dir: string): K8sObject[] {
  let objects = rendered.get(dir);
  if (objects === undefined) {
    objects = renderKustomization(dir);
    rendered.set(dir, objects);
  }
  return objects;
}

export const DEPLOYABLE = ['k8s/overlays/dev', 'k8s/overlays/prod'] as const;

/** A Secret's or ConfigMap's entries as strings (`data` of a Secret is base64). */
function entries(object: K8sObject): Record<string, string> {
  const data = (object.data ?? {}) as Record<string, string>;
  const decoded =
    object.kind === 'Secret'
      ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))
      : data;
  return { ...decoded, ...((object.stringData ?? {}) as Record<string, string>) };
}

/**
 * The environment a container starts with: its envFrom ConfigMaps and Secrets, then its env.
 * `external` stands in for Secrets the render leaves out on purpose (prod's exchange-secrets, which
 * the operator creates); any other missing reference throws.
 */
export function containerEnv(
  objects: readonly K8sObject[],
  container: IContainer,
  external: Readonly<Record<string, Record<string, string>>> = {},
): Record<string, string> {
  const source = (kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> => {
    const object = find(objects, kind, name);
    if (object !== undefined) return entries(object);
    const standIn = kind === 'Secret' ? external[name] : undefined;
    if (standIn === undefined) throw new Error(`${container.name}: ${kind}/${name} is not rendered`);
    return standIn;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, source('ConfigMap', from.configMapRef.name!));
    if (from.secretRef) Object.assign(env, source('Secret', from.secretRef.name!));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    const kind = variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const value = ref ? source(kind, ref.name!)[ref.key] : variable.value;
    if (value === undefined) throw new Error(`${container.name}: ${variable.name} has no value`);
    env[variable.name] = value;
  }
  return env;
}
