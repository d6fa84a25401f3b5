import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STOP_TIMEOUT_SECONDS, parseWorkerConfig } from './config/worker-config';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INFRA = path.join(ROOT, 'infra');
const json = (file: string) => JSON.parse(readFileSync(path.join(INFRA, file), 'utf8')) as Record<string, unknown>;

interface Container {
  name: string;
  image: string;
  cpu: number;
  memoryReservation: number;
  memory?: number;
  command: string[];
  environment: Array<{ name: string; value: string }>;
  secrets: Array<{ name: string; valueFrom: string }>;
  healthCheck: { command: string[]; interval: number; timeout: number; retries: number; startPeriod: number };
  stopTimeout: number;
  logConfiguration: { logDriver: string; options: Record<string, string> };
  readonlyRootFilesystem?: boolean;
  linuxParameters?: { capabilities?: { drop?: string[] } };
}

interface Policy {
  Statement: Array<{ Effect: string; Action: string[] | string; Resource: string | string[]; Principal?: unknown; Condition?: unknown }>;
}

const containerOf = (file: string) => (json(file) as { containerDefinitions: Container[] }).containerDefinitions[0]!;

const PROFILES: Record<string, { cpu: number; memoryReservation: number; memory: number | undefined }> = {
  'task-definition-incident.json': { cpu: 4, memoryReservation: 256, memory: undefined },
  'task-definition-recommended.json': { cpu: 2048, memoryReservation: 2048, memory: 4096 },
  'task-definition-minimum-viable.json': { cpu: 1024, memoryReservation: 1024, memory: 2048 },
};

/** IAM actions each S3 command of the worker's path needs (HeadObject is authorized as GetObject; multipart parts as PutObject). */
const COMMAND_ACTIONS: Record<string, string> = {
  GetObjectCommand: 's3:GetObject',
  HeadObjectCommand: 's3:GetObject',
  PutObjectCommand: 's3:PutObject',
  CreateMultipartUploadCommand: 's3:PutObject',
  UploadPartCommand: 's3:PutObject',
  CompleteMultipartUploadCommand: 's3:PutObject',
  AbortMultipartUploadCommand: 's3:AbortMultipartUpload',
  ListPartsCommand: 's3:ListMultipartUploadParts',
  DeleteObjectCommand: 's3:DeleteObject',
  DeleteObjectsCommand: 's3:DeleteObject',
  HeadBucketCommand: 's3:ListBucket',
  ListObjectsCommand: 's3:ListBucket',
  ListObjectsV2Command: 's3:ListBucket',
};

/** Production sources of the worker's S3 path: the snapshot library and this app (tests and test helpers excluded). */
function productionSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !file.split(path.sep).includes('testing'));
}

function s3CommandsUsed(): Set<string> {
  const files = [...productionSources(path.join(ROOT, 'libs/snapshot/src')), ...productionSources(path.join(ROOT, 'apps/worker/src'))];
  const commands = new Set<string>();
  for (const file of files) for (const match of readFileSync(file, 'utf8').matchAll(/new (\w+Command)\(/g)) commands.add(match[1]!);
  return commands;
}

/** The Dockerfile's CMD, as JSON. */
const IMAGE_COMMAND = JSON.parse(
  readFileSync(path.join(ROOT, 'apps/worker/Dockerfile'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith('CMD '))!
    .slice(4),
) as string[];

function taskEnvironment(file: string): Record<string, string> {
  return Object.fromEntries(containerOf(file).environment.map((e) => [e.name, e.value]));
}

describe('infra/ task definitions', () => {
  it.each(Object.entries(PROFILES))('%s has the profile’s units, required fields and a stop timeout above the app’s', (file, profile) => {
    const definition = json(file) as { family: string; requiresCompatibilities: string[]; containerDefinitions: Container[] };
    expect(definition.family).toMatch(/^storage-builder-worker-/);
    expect(definition.requiresCompatibilities).toEqual(['EC2']);
    const [container] = definition.containerDefinitions;
    expect(container).toBeDefined();
    const c = container!;
    expect({ cpu: c.cpu, memoryReservation: c.memoryReservation, memory: c.memory }).toEqual(profile);
    if (c.memory !== undefined) expect(c.memoryReservation).toBeLessThanOrEqual(c.memory);
    // The heap cap follows the container's memory (3/4 of the hard limit, else of the
    // reservation): a fixed cap would leave a large container's memory unused, or let a small one's heap outgrow it.
    // The image's ENV stays in effect under a task definition's command, its CMD's flags do not.
    const heapCapMiB = Math.floor(((c.memory ?? c.memoryReservation) * 3) / 4);
    expect(c.command).toEqual(IMAGE_COMMAND.map((word) => (word.startsWith('--max-old-space-size=') ? `--max-old-space-size=${heapCapMiB}` : word)));
    expect(c.healthCheck.command.join(' ')).toContain('/healthz');
    expect(c.healthCheck.timeout).toBeLessThan(c.healthCheck.interval);
    expect(c.logConfiguration.logDriver).toBe('awslogs');
    expect(Object.keys(c.logConfiguration.options).sort()).toEqual(expect.arrayContaining(['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix']));

    const env = Object.fromEntries(c.environment.map((e) => [e.name, e.value]));
    const stopTimeoutSeconds = Number(env['STOP_TIMEOUT_SECONDS'] ?? DEFAULT_STOP_TIMEOUT_SECONDS);
    expect(c.stopTimeout).toBeGreaterThan(stopTimeoutSeconds);
    expect(c.stopTimeout).toBeGreaterThan(DEFAULT_STOP_TIMEOUT_SECONDS);
    expect(c.stopTimeout).toBeLessThanOrEqual(120);
    // No secret in plain environment; the token and the database URL come from `secrets`.
    expect(Object.keys(env).filter((name) => /TOKEN|PASSWORD|SECRET|DATABASE_URL|ACCESS_KEY/.test(name))).toEqual([]);
    expect(c.secrets.map((s) => s.name).sort()).toEqual(['CONTROL_TOKEN', 'DATABASE_URL']);
    for (const secret of c.secrets) expect(secret.valueFrom).toMatch(/^arn:aws:(secretsmanager|ssm):/);
    // The environment plus the secrets is a configuration the worker accepts.
    expect(() => parseWorkerConfig({ ...env, CONTROL_TOKEN: 'x'.repeat(32), DATABASE_URL: 'postgres://u:p@db/source' })).not.toThrow();
  });
});

describe('infra/ task definitions: least privilege', () => {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it.each(Object.keys(PROFILES))('%s runs the release’s image read-only with no capabilities', (file) => {
    const c = containerOf(file);
    expect(c.image.endsWith(`/storage-builder-worker:${version}`), c.image).toBe(true);
    expect(c.readonlyRootFilesystem).toBe(true);
    expect(c.linuxParameters?.capabilities?.drop).toEqual(['ALL']);
  });

  it('gives the execution role only the image’s repository, the log group and the secrets the task definitions name', () => {
    const policy = json('iam-policy-execution.json') as unknown as Policy;
    const grants = (action: string) => policy.Statement.filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
    for (const file of Object.keys(PROFILES)) {
      const c = containerOf(file);
      const [registry, repository] = c.image.split(':')[0]!.split('/');
      const [account, , , region] = registry!.split('.');
      for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability']) {
        expect(grants(action), action).toEqual([`arn:aws:ecr:${region}:${account}:repository/${repository}`]);
      }
      const group = c.logConfiguration.options['awslogs-group'];
      const logActions = ['logs:CreateLogStream', 'logs:PutLogEvents', ...(c.logConfiguration.options['awslogs-create-group'] === 'true' ? ['logs:CreateLogGroup'] : [])];
      for (const action of logActions) expect(grants(action), action).toEqual([`arn:aws:logs:${region}:${account}:log-group:${group}:*`]);
      // Secrets Manager ARNs end in a random six-character suffix the task definitions omit.
      expect(grants('secretsmanager:GetSecretValue').sort()).toEqual(c.secrets.map((s) => `${s.valueFrom}-??????`).sort());
    }
    // GetAuthorizationToken has no resource-level permission; nothing else is granted on '*'.
    expect(policy.Statement.filter((s) => [s.Resource].flat().includes('*')).flatMap((s) => [s.Action].flat())).toEqual(['ecr:GetAuthorizationToken']);
  });

  it('lets only ECS tasks of the account assume the roles', () => {
    const trust = json('iam-trust-ecs-tasks.json') as unknown as Policy;
    expect(trust.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
    for (const file of Object.keys(PROFILES)) {
      const definition = json(file) as { taskRoleArn: string; executionRoleArn: string };
      for (const arn of [definition.taskRoleArn, definition.executionRoleArn]) expect(arn).toMatch(/^arn:aws:iam::123456789012:role\//);
    }
  });
});

describe('infra/ IAM policy', () => {
  it('grants exactly the S3 actions the worker’s code calls', () => {
    const commands = s3CommandsUsed();
    const unmapped = [...commands].filter((c) => !(c in COMMAND_ACTIONS));
    expect(unmapped, 'map these commands to IAM actions in COMMAND_ACTIONS').toEqual([]);
    const needed = new Set([...commands].map((c) => COMMAND_ACTIONS[c]!));
    const policy = json('iam-policy-worker.json') as { Statement: Array<{ Effect: string; Action: string[]; Resource: string; Condition?: unknown }> };
    const granted = policy.Statement.flatMap((s) => s.Action);
    expect(new Set(granted).size).toBe(granted.length);
    expect([...granted].sort()).toEqual([...needed].sort());
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Resource).not.toBe('*');
      const bucketLevel = statement.Action.includes('s3:ListBucket');
      expect(statement.Resource).toMatch(bucketLevel ? /^arn:aws:s3:::[^/]+$/ : /^arn:aws:s3:::[^/]+\/.+\*$/);
      // Listing is limited to the keys under the worker's prefix, as objects are.
      const prefixes = new Set(Object.keys(PROFILES).map((file) => taskEnvironment(file)['S3_PREFIX']));
      expect(prefixes.size).toBe(1);
      const [prefix] = [...prefixes];
      if (bucketLevel) expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': [`${prefix}/*`] } });
      else expect(statement.Resource.endsWith(`/${prefix}/*`)).toBe(true);
    }
  });
});

describe('infra/ bucket and alarm', () => {
  it('aborts incomplete multipart uploads after a day', () => {
    const rules = (json('s3-lifecycle.json') as { Rules: Array<{ Status: string; AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number } }> }).Rules;
    expect(rules.some((r) => r.Status === 'Enabled' && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation === 1)).toBe(true);
  });

  it('alarms on service CPUUtilization and explains that ECS computes it against the reservation', () => {
    const alarm = json('cloudwatch-alarm-cpu.json') as { Namespace: string; MetricName: string; AlarmDescription: string; Dimensions: Array<{ Name: string }> };
    expect(alarm).toMatchObject({ Namespace: 'AWS/ECS', MetricName: 'CPUUtilization' });
    expect(alarm.Dimensions.map((d) => d.Name).sort()).toEqual(['ClusterName', 'ServiceName']);
    expect(alarm.AlarmDescription).toMatch(/reserv/i);
    expect(alarm.AlarmDescription).toContain('9113%');
    expect(alarm.AlarmDescription).toContain('0.36 vCPU');
    expect(alarm.AlarmDescription.length).toBeLessThanOrEqual(1024);
  });
});
