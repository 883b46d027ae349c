/**
 * Every kustomization of k8s/ (the base and each overlay) renders, and every object it renders is
 * valid offline: against its kind's JSON schema (Kubernetes' own, and the Prometheus Operator's
 * CRDs for ServiceMonitor, PodMonitor and PrometheusRule), and with no field its kind does not have
 * (what `kubectl apply` would refuse). test/support/kustomize.ts and k8s-schemas.ts say how.
 */
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { schemaErrors, unknownFieldErrors } from '../../support/k8s-schemas.ts';
import {
  kustomizeTools,
  objectId,
  renderKustomization,
  REPO_ROOT,
  type K8sObject,
} from '../../support/kustomize.ts';

const OVERLAYS = readdirSync(`${REPO_ROOT}k8s/overlays`)
  .filter((name) => existsSync(`${REPO_ROOT}k8s/overlays/${name}/kustomization.yaml`))
  .map((name) => `k8s/overlays/${name}`);
const KUSTOMIZATIONS = ['k8s/base', ...OVERLAYS];

/** The kinds each overlay must deploy (DESIGN.md §6): the list, in one place. */
const REQUIRED_KINDS = [
  'Deployment',
  'Service',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'StatefulSet',
  'Job',
  'ConfigMap',
  'ServiceMonitor',
  'PrometheusRule',
  'NetworkPolicy',
];

describe('k8s: every kustomization renders and validates offline', function () {
  // Rendering runs a binary per kustomization; the strict check type-checks every object.
  this.timeout(60_000);
  const tools = kustomizeTools();

  it('has the dev and prod overlays', () => {
    expect(OVERLAYS).to.include.members(['k8s/overlays/dev', 'k8s/overlays/prod']);
  });

  for (const dir of KUSTOMIZATIONS) {
    describe(dir, () => {
      let objects: K8sObject[] = [];
      before(() => {
        objects = renderKustomization(dir, tools[0]);
      });

      it(`renders the same objects with every kustomize found (${tools.map((t) => t.label).join('; ')})`, () => {
        expect(objects.length).to.be.greaterThan(10);
        for (const tool of tools.slice(1)) expect(renderKustomization(dir, tool)).to.deep.equal(objects);
      });

      it('renders every required kind, and no two objects with the same kind and name', () => {
        expect(objects.map((o) => o.kind)).to.include.members(REQUIRED_KINDS);
        const ids = objects.map((o) => `${o.metadata.namespace ?? ''}/${objectId(o)}`);
        expect(new Set(ids).size, ids.join(', ')).to.equal(ids.length);
      });

      it("validates every object against its kind's JSON schema (Kubernetes, Prometheus Operator CRDs)", async () => {
        const errors = (await Promise.all(objects.map((o) => schemaErrors(o)))).flat();
        expect(errors, errors.join('\n')).to.deep.equal([]);
      });

      it('has no field its kind does not have, at any depth, and no value of the wrong type', () => {
        const errors = unknownFieldErrors(objects);
        expect(errors, errors.join('\n')).to.deep.equal([]);
      });
    });
  }

  describe('the checks themselves', () => {
    const deployment = (container: Record<string, unknown>): K8sObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', ...container }] } },
      },
    });

    it('the schema check reports a wrong type, a missing required field and an unknown kind', async () => {
      expect(await schemaErrors(deployment({ ports: [{ containerPort: '8080' }] }))).to.have.length(1);
      const monitor: K8sObject = {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'm' },
        spec: { selector: {}, endpoints: [{ port: 'http', interval: 'soon' }] },
      };
      expect((await schemaErrors(monitor))[0]).to.match(/interval/);
      const noSelector: K8sObject = { ...deployment({}), spec: { template: {} } };
      expect((await schemaErrors(noSelector))[0]).to.match(/selector/);
      expect(
        await schemaErrors({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } }),
      ).to.have.length(1);
    });

    it('the strict check reports a misspelt field at depth, naming the object', () => {
      const errors = unknownFieldErrors([deployment({ readinesProbe: {} })]);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/^Deployment\/broken: .*readinesProbe/);
    });
  });
});
