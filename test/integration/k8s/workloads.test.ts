/**
 * What every pod of the rendered manifests must have (DESIGN.md §6): resources, probes whose
 * liveness is a local heartbeat, the "restricted" security profile with a read-only root, and a
 * grace period the processes' graceful stop fits in; one image for the exchange's processes.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { REPO_ROOT } from '../../support/kustomize.ts';
import {
  containerEnv,
  DEPLOYABLE,
  rendering,
  workloadOf,
  workloads,
  type IContainer,
  type Workload,
} from '../../support/k8s-objects.ts';

/** startMatcher's default stop timeout (src/processes/matcher-process.ts), in milliseconds. */
function matcherStopTimeoutMs(): number {
  const source = readFileSync(`${REPO_ROOT}src/processes/matcher-process.ts`, 'utf8');
  const match = /stopTimeoutMs = ([\d_]+)/.exec(source);
  if (match === null) throw new Error('startMatcher(config, stopTimeoutMs = ...) not found');
  return Number(match[1]!.replaceAll('_', ''));
}

/** A CPU or memory quantity in millicores or bytes. */
function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(String(value));
  if (match === null) throw new Error(`unsupported quantity ${value}`);
  const unit = { m: 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? ''] ?? 1000;
  return Number(match[1]) * unit;
}

function eachContainer(dir: string, check: (workload: Workload, container: IContainer) => void) {
  for (const workload of workloads(rendering(dir))) {
    for (const container of workload.containers) check(workload, container);
  }
}

describe('k8s: workloads', function () {
  this.timeout(30_000);

  for (const dir of ['k8s/base', ...DEPLOYABLE]) {
    describe(dir, () => {
      it('every container requests and limits CPU and memory, requests within limits', () => {
        eachContainer(dir, (workload, container) => {
          const where = `${workload.id} ${container.name}`;
          for (const resource of ['cpu', 'memory']) {
            const request = container.resources?.requests?.[resource];
            const limit = container.resources?.limits?.[resource];
            expect(request, `${where} requests.${resource}`).to.not.equal(undefined);
            expect(limit, `${where} limits.${resource}`).to.not.equal(undefined);
            expect(quantity(request!), `${where} ${resource}`).to.be.at.most(quantity(limit!));
          }
        });
      });

      it('every long-running container has liveness and readiness probes on ports it declares', () => {
        eachContainer(dir, (workload, container) => {
          if (workload.kind === 'Job') return;
          const where = `${workload.id} ${container.name}`;
          const ports = new Set((container.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
          for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
            const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
            if (port !== undefined) expect(ports, `${where} probe port ${port}`).to.include(port);
          }
          expect(container.livenessProbe, `${where} liveness`).to.not.equal(undefined);
          expect(container.readinessProbe, `${where} readiness`).to.not.equal(undefined);
        });
      });

      it("the exchange's liveness is the local /healthz heartbeat; the API's readiness is /readyz", () => {
        for (const component of ['api', 'matcher'] as const) {
          const [container] = workloadOf(rendering(dir), component).containers;
          expect(container!.livenessProbe?.httpGet?.path, component).to.equal('/healthz');
        }
        const [api] = workloadOf(rendering(dir), 'api').containers;
        expect(api!.readinessProbe?.httpGet?.path).to.equal('/readyz');
      });

      it('every pod meets the restricted profile: non-root, no escalation, no capabilities, read-only root', () => {
        eachContainer(dir, (workload, container) => {
          const pod = workload.template.spec!;
          const where = `${workload.id} ${container.name}`;
          const context = container.securityContext ?? {};
          expect(context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, `${where} runAsNonRoot`).to.equal(
            true,
          );
          expect(context.allowPrivilegeEscalation, `${where} allowPrivilegeEscalation`).to.equal(false);
          expect(context.capabilities?.drop, `${where} capabilities.drop`).to.include('ALL');
          expect(context.capabilities?.add ?? [], `${where} capabilities.add`).to.deep.equal([]);
          expect(context.readOnlyRootFilesystem, `${where} readOnlyRootFilesystem`).to.equal(true);
          const seccomp = context.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
          expect(seccomp, `${where} seccompProfile`).to.equal('RuntimeDefault');
          expect(pod.automountServiceAccountToken, `${workload.id} automountServiceAccountToken`).to.equal(
            false,
          );
        });
      });

      it("the exchange's containers write only to an emptyDir at /tmp (tsx's cache)", () => {
        for (const workload of workloads(rendering(dir)).filter((w) => w.component !== undefined)) {
          const [container] = workload.containers;
          const mount = container!.volumeMounts?.find((m) => m.mountPath === '/tmp');
          const volume = workload.template.spec!.volumes?.find((v) => v.name === mount?.name);
          expect(volume?.emptyDir, `${workload.id} /tmp`).to.not.equal(undefined);
          expect(container!.volumeMounts, workload.id).to.have.length(1);
        }
      });

      it("the matcher's grace period outlasts its graceful stop (flush, commit, release leases)", () => {
        const grace = workloadOf(rendering(dir), 'matcher').template.spec!.terminationGracePeriodSeconds;
        expect(grace).to.be.greaterThan(matcherStopTimeoutMs() / 1000 + 5);
      });

      it('the API drains: preStop sleep, then SIGTERM with time for `?wait` requests; no capacity dip', () => {
        const api = workloadOf(rendering(dir), 'api');
        const command = api.containers[0]!.lifecycle?.preStop?.exec?.command ?? [];
        expect(command[0]).to.equal('sleep');
        const sleep = Number(command[1]);
        expect(sleep).to.be.within(3, 15);
        const env = containerEnv(rendering(dir), api.containers[0]!, { 'exchange-secrets': {} });
        const waitTimeoutS = Number(env.WAIT_TIMEOUT_MS ?? 2_000) / 1000;
        const grace = api.template.spec!.terminationGracePeriodSeconds!;
        expect(grace).to.be.greaterThan(sleep + waitTimeoutS + 5);
        const strategy = api.spec.strategy as { rollingUpdate?: { maxUnavailable?: number } };
        expect(strategy.rollingUpdate?.maxUnavailable).to.equal(0);
      });
    });
  }

  for (const dir of DEPLOYABLE) {
    it(`${dir}: api, matcher and migrate run one tagged image, each with its entry point`, () => {
      const objects = rendering(dir);
      // What `npm run start:api`, `start:matcher` and `migrate` run.
      const entries = {
        api: 'src/processes/api-process.ts',
        matcher: 'src/processes/matcher-process.ts',
        migrate: 'scripts/migrate.ts',
      };
      const images = new Set<string>();
      for (const [component, entry] of Object.entries(entries)) {
        const [container] = workloadOf(objects, component as keyof typeof entries).containers;
        images.add(container!.image!);
        expect(container!.command, component).to.equal(undefined); // the image's ENTRYPOINT runs it
        expect(container!.args, component).to.deep.equal([entry]);
        expect(existsSync(`${REPO_ROOT}${entry}`), entry).to.equal(true);
      }
      expect(images.size, [...images].join(', ')).to.equal(1);
      const [image] = images;
      // A tag or a digest: never the implicit `latest`, which would make rollouts unrepeatable.
      expect(image).to.match(/^[a-z0-9./_-]+(:\w[\w.-]{0,127}|@sha256:[0-9a-f]{64})$/);
      expect(image).to.not.match(/:latest$/);
    });
  }
});
