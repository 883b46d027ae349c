/**
 * How the rendered objects fit together: the configuration each process gets is one that
 * src/config/config.ts accepts, selectors and named ports find what they name, the scrape jobs are
 * the ones the alert rules expect, the network policies say who may talk to whom, and each overlay
 * keeps its promises (dev: a durable Redis and a MariaDB the URLs point at; prod: the operator's
 * Secret, bigger bounds).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { REPO_ROOT, type K8sObject } from '../../support/kustomize.ts';
import {
  containerEnv,
  DEPLOYABLE,
  EXCHANGE_COMPONENTS,
  find,
  rendering,
  selects,
  workloadOf,
  workloads,
  type ILabelSelector,
} from '../../support/k8s-objects.ts';

/** The variables config.ts reads (its EnvSchema), and which of them have no default. */
function envSchemaKeys(): { all: Set<string>; withoutDefault: Set<string> } {
  const source = readFileSync(`${REPO_ROOT}src/config/config.ts`, 'utf8');
  const body = /const EnvSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (body === undefined) throw new Error('EnvSchema = z.object({...}) not found in config.ts');
  const all = new Set<string>();
  const withoutDefault = new Set<string>();
  const keys = [...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)];
  keys.forEach((match, i) => {
    const definition = body.slice(match.index, keys[i + 1]?.index ?? body.length);
    all.add(match[1]!);
    if (!/\.default\(|^ {2}\w+: integer\(/.test(definition)) withoutDefault.add(match[1]!);
  });
  return { all, withoutDefault };
}

/** What an operator puts in prod's exchange-secrets (README.md, Operator guide). */
const PROD_SECRET_STAND_IN = {
  'exchange-secrets': {
    JWT_SECRET: 'k8s-test-stand-in-for-a-random-secret-0123456789',
    MYSQL_URL: 'mysql://exchange:pw@mysql.example.internal:3306/exchange',
    REDIS_URL: 'redis://:pw@redis.example.internal:6379',
  },
};

const secretKeys = (object: K8sObject | undefined) =>
  Object.keys({ ...((object?.stringData as object) ?? {}), ...((object?.data as object) ?? {}) }).sort();

function selectedWorkloads(objects: readonly K8sObject[], selector: ILabelSelector) {
  return workloads(objects).filter((w) => selects(selector, w.labels));
}

describe('k8s: wiring', function () {
  this.timeout(30_000);
  const schema = envSchemaKeys();
  const base = () => rendering('k8s/base');

  it('reads the variables of config.ts (guards the parsing below)', () => {
    expect([...schema.all]).to.include.members(['JWT_SECRET', 'MYSQL_URL', 'REDIS_URL', 'SHARD_COUNT']);
    expect([...schema.withoutDefault]).to.include('JWT_SECRET');
    expect([...schema.withoutDefault]).to.not.include('SHARD_COUNT');
  });

  it("the base Secret's placeholders stop every process at boot instead of running with them", () => {
    const [api] = workloadOf(base(), 'api').containers;
    expect(() => loadConfig(containerEnv(base(), api!))).to.throw(ConfigError, /JWT_SECRET/);
  });

  for (const dir of DEPLOYABLE) {
    describe(dir, () => {
      const objects = () => rendering(dir);
      const external = dir.endsWith('/prod') ? PROD_SECRET_STAND_IN : {};

      it('each process gets only variables config.ts knows, every one without a default, and valid values', () => {
        for (const component of EXCHANGE_COMPONENTS) {
          const [container] = workloadOf(objects(), component).containers;
          const env = containerEnv(objects(), container!, external);
          const unknown = Object.keys(env).filter((key) => !schema.all.has(key));
          expect(unknown, `${component}: not read by config.ts`).to.deep.equal([]);
          // Their defaults (127.0.0.1) are wrong in a pod, and JWT_SECRET has none.
          for (const key of [...schema.withoutDefault, 'REDIS_URL', 'MYSQL_URL']) {
            expect(env, `${component} ${key}`).to.have.property(key);
          }
          const config = loadConfig(env);
          expect(config.redis.url).to.not.match(/127\.0\.0\.1|localhost/);
          expect(config.mysql.url).to.not.match(/127\.0\.0\.1|localhost/);
        }
      });

      it("the processes' ports are the ones their containers, probes and Services use", () => {
        const api = workloadOf(objects(), 'api').containers[0]!;
        const matcher = workloadOf(objects(), 'matcher').containers[0]!;
        const apiEnv = loadConfig(containerEnv(objects(), api, external));
        const matcherEnv = loadConfig(containerEnv(objects(), matcher, external));
        expect(api.ports?.find((p) => p.name === 'http')?.containerPort).to.equal(apiEnv.http.port);
        expect(matcher.ports?.find((p) => p.name === 'metrics')?.containerPort).to.equal(
          matcherEnv.matcher.metricsPort,
        );
      });

      it('workload selectors match their pods; Services, PDBs, policies and the HPA find what they name', () => {
        for (const workload of workloads(objects())) {
          const selector = workload.spec.selector as ILabelSelector | undefined;
          if (workload.kind !== 'Job')
            expect(selects(selector!, workload.labels), workload.id).to.equal(true);
        }
        for (const service of objects().filter((o) => o.kind === 'Service')) {
          const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: unknown }[] };
          const [target, ...others] = selectedWorkloads(objects(), { matchLabels: spec.selector });
          expect(others, `Service/${service.metadata.name}`).to.deep.equal([]);
          const ports = target!.containers
            .flatMap((c) => c.ports ?? [])
            .flatMap((p) => [p.name, p.containerPort]);
          for (const port of spec.ports)
            expect(ports, `Service/${service.metadata.name}`).to.include(port.targetPort);
        }
        for (const pdb of objects().filter((o) => o.kind === 'PodDisruptionBudget')) {
          const { selector } = pdb.spec as { selector: ILabelSelector };
          expect(selectedWorkloads(objects(), selector), `PDB/${pdb.metadata.name}`).to.have.length(1);
        }
        for (const policy of objects().filter((o) => o.kind === 'NetworkPolicy')) {
          const { podSelector } = policy.spec as { podSelector: ILabelSelector };
          const selected = selectedWorkloads(objects(), podSelector);
          expect(selected.length, `NetworkPolicy/${policy.metadata.name}`).to.be.greaterThan(0);
        }
        const matcher = workloadOf(objects(), 'matcher');
        const governing = find(objects(), 'Service', matcher.spec.serviceName as string);
        expect((governing?.spec as { clusterIP?: string }).clusterIP).to.equal('None');
      });

      it('the HPA scales the API Deployment, which leaves its replica count to it', () => {
        const hpa = find(objects(), 'HorizontalPodAutoscaler', 'exchange-api')!;
        const spec = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number };
        const target = find(objects(), spec.scaleTargetRef.kind, spec.scaleTargetRef.name);
        expect(target?.metadata.labels?.['app.kubernetes.io/component']).to.equal('api');
        expect((target!.spec as { replicas?: number }).replicas).to.equal(undefined);
        expect(spec.minReplicas).to.be.at.least(1);
      });

      it('Prometheus scrapes the API and the matchers under the job names the alert rules use', () => {
        const monitors = objects().filter((o) => o.kind === 'ServiceMonitor');
        const jobs = monitors.map((monitor) => {
          const spec = monitor.spec as { selector: ILabelSelector; endpoints: { port: string }[] };
          const services = objects().filter(
            (o) => o.kind === 'Service' && selects(spec.selector, o.metadata.labels ?? {}),
          );
          expect(services, `ServiceMonitor/${monitor.metadata.name}`).to.have.length(1);
          const ports = (services[0]!.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
          for (const endpoint of spec.endpoints) expect(ports).to.include(endpoint.port);
          return services[0]!.metadata.name;
        });
        expect(jobs.sort()).to.deep.equal(['exchange-api', 'exchange-matcher']);
        // Every `job=~"..."` of the alert rules matches both jobs (ExchangeTargetDown watches them).
        const rules = JSON.stringify(objects().filter((o) => o.kind === 'PrometheusRule'));
        const patterns = [...rules.matchAll(/job=~\\"([^"\\]+)\\"/g)].map((m) => m[1]!);
        expect(patterns.length, 'job matchers in the rules').to.equal((rules.match(/job=/g) ?? []).length);
        for (const pattern of patterns) {
          for (const job of jobs) expect(job, `job=~"${pattern}"`).to.match(new RegExp(`^(?:${pattern})$`));
        }
      });

      it('network policies: API open on its port, matchers to the monitoring namespace only, DNS out', () => {
        type Rule = { from?: unknown[]; ports?: { port: unknown; protocol?: string }[] };
        type Policy = { ingress?: Rule[]; egress?: Rule[]; policyTypes: string[] };
        const policy = (name: string) => find(objects(), 'NetworkPolicy', name)!.spec as Policy;
        expect(policy('exchange-api').ingress).to.deep.equal([
          { ports: [{ port: 'http', protocol: 'TCP' }] },
        ]);
        const [scrape, ...others] = policy('exchange-matcher').ingress!;
        expect(others).to.deep.equal([]);
        expect(scrape!.from).to.deep.equal([
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        ]);
        expect(scrape!.ports).to.deep.equal([{ port: 'metrics', protocol: 'TCP' }]);
        for (const name of ['exchange-api', 'exchange-matcher', 'exchange-migrate']) {
          expect(policy(name).policyTypes).to.include.members(['Ingress', 'Egress']);
          const out = policy(name).egress!.flatMap((rule) => rule.ports ?? []);
          expect(out, name).to.deep.include({ port: 53, protocol: 'UDP' });
          expect(out, name).to.deep.include({ port: 3306, protocol: 'TCP' });
        }
      });
    });
  }

  describe('k8s/overlays/dev', () => {
    const objects = () => rendering('k8s/overlays/dev');

    it('runs Redis with AOF fsynced on every write, on a volume, never evicting', () => {
      const redis = workloads(objects()).find((w) => w.labels['app.kubernetes.io/component'] === 'redis')!;
      const args = redis.containers[0]!.args!.join(' ');
      expect(args).to.include('--appendonly yes').and.include('--appendfsync always');
      expect(args).to.include('--maxmemory-policy noeviction');
      expect(redis.spec.volumeClaimTemplates).to.have.length(1);
    });

    it("points REDIS_URL and MYSQL_URL at its own Redis and MariaDB, with MariaDB's user and password", () => {
      const [api] = workloadOf(objects(), 'api').containers;
      const env = containerEnv(objects(), api!);
      const mysql = workloads(objects()).find((w) => w.labels['app.kubernetes.io/component'] === 'mysql')!;
      const db = containerEnv(objects(), mysql.containers[0]!);
      const url = new URL(env.MYSQL_URL!);
      expect([url.username, url.password, url.pathname]).to.deep.equal([
        db.MARIADB_USER,
        db.MARIADB_PASSWORD,
        `/${db.MARIADB_DATABASE}`,
      ]);
      expect(url.hostname).to.equal(mysql.spec.serviceName);
      const redis = workloads(objects()).find((w) => w.labels['app.kubernetes.io/component'] === 'redis')!;
      expect(new URL(env.REDIS_URL!).hostname).to.equal(redis.spec.serviceName);
    });
  });

  describe('k8s/overlays/prod', () => {
    const objects = () => rendering('k8s/overlays/prod');

    it("leaves the operator's Secret out of the output, and the pods need only the base Secret's keys", () => {
      expect(find(objects(), 'Secret', 'exchange-secrets')).to.equal(undefined);
      expect(secretKeys(find(base(), 'Secret', 'exchange-secrets'))).to.deep.equal(
        Object.keys(PROD_SECRET_STAND_IN['exchange-secrets']).sort(),
      );
    });

    it('runs NODE_ENV=production, more matchers and a wider HPA than the base, threads within CPU', () => {
      const [matcher] = workloadOf(objects(), 'matcher').containers;
      const config = loadConfig(containerEnv(objects(), matcher!, PROD_SECRET_STAND_IN));
      expect(config.env).to.equal('production');
      const replicas = (o: K8sObject[]) => workloadOf(o, 'matcher').spec.replicas as number;
      expect(replicas(objects())).to.be.greaterThan(replicas(base()));
      const hpa = (o: K8sObject[]) =>
        find(o, 'HorizontalPodAutoscaler', 'exchange-api')!.spec as Record<string, number>;
      expect(hpa(objects()).minReplicas).to.be.greaterThan(hpa(base()).minReplicas!);
      expect(hpa(objects()).maxReplicas).to.be.greaterThan(hpa(base()).maxReplicas!);
      const cpuLimit = Number(matcher!.resources!.limits!.cpu);
      expect(cpuLimit).to.be.at.least(config.matcher.workerThreads);
    });

    it('every exchange process opens the external Redis Cluster (REDIS_CLUSTER_NODES), the base one Redis', () => {
      for (const component of EXCHANGE_COMPONENTS) {
        const [container] = workloadOf(objects(), component).containers;
        const prod = loadConfig(containerEnv(objects(), container!, PROD_SECRET_STAND_IN));
        const nodes = prod.redis.clusterNodes ?? [];
        expect(nodes, component).to.have.length.of.at.least(3);
        for (const node of nodes) expect(node.port, component).to.equal(6379);
        const [baseContainer] = workloadOf(base(), component).containers;
        const baseEnv = containerEnv(base(), baseContainer!, PROD_SECRET_STAND_IN);
        expect(baseEnv, component).to.have.property('REDIS_CLUSTER_NODES', '');
      }
    });
  });
});
