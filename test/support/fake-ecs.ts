import {
  ClientException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput,
  type Task,
  type TaskDefinition as EcsTaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';

/** Every ECSClient in the test process answers from the fake below (reset it between tests). */
export const fakeEcsClient = mockClient(ECSClient);
const ecs = fakeEcsClient;

/**
 * A small ECS behind the mock: it keeps registered families and launched tasks, dedupes RunTask by
 * clientToken, lists by startedBy and answers MISSING for tasks it does not know.
 */
export class FakeEcs {
  readonly definitions = new Map<string, EcsTaskDefinition>();
  readonly tasks = new Map<string, Task>();

  constructor(private readonly now: () => number) {
    ecs.on(DescribeTaskDefinitionCommand).callsFake(({ taskDefinition }: { taskDefinition: string }) => {
      const family = taskDefinition.replace(/^.*task-definition\//, '').split(':')[0];
      const found = this.definitions.get(family);
      if (!found) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });
      return { taskDefinition: found };
    });
    ecs.on(RegisterTaskDefinitionCommand).callsFake((input: RegisterTaskDefinitionCommandInput) => {
      const revision = (this.definitions.get(input.family!)?.revision ?? 0) + 1;
      const registered = {
        ...input,
        taskDefinitionArn: `arn:aws:ecs:eu-west-3:111122223333:task-definition/${input.family}:${revision}`,
        revision,
        status: 'ACTIVE' as const,
      };
      this.definitions.set(input.family!, registered);
      return { taskDefinition: registered };
    });
    ecs.on(ListTasksCommand).callsFake(({ startedBy, desiredStatus = 'RUNNING' }) => ({
      taskArns: [...this.tasks.values()]
        .filter((task) => (startedBy === undefined || task.startedBy === startedBy) && task.desiredStatus === desiredStatus)
        .map((task) => task.taskArn),
    }));
    ecs.on(RunTaskCommand).callsFake(this.run);
    ecs.on(DescribeTasksCommand).callsFake(({ tasks }: { tasks: string[] }) => ({
      tasks: tasks.filter((arn) => this.tasks.has(arn)).map((arn) => this.tasks.get(arn)),
      failures: tasks.filter((arn) => !this.tasks.has(arn)).map((arn) => ({ arn, reason: 'MISSING' })),
    }));
    ecs.on(StopTaskCommand).callsFake(({ task, reason }: { task: string; reason: string }) => {
      const stopped = Object.assign(this.tasks.get(task)!, { desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: reason });
      return { task: stopped };
    });
  }

  /** RunTask, deduped by clientToken; tests that script a few answers first fall back to it. */
  readonly run = (input: RunTaskCommandInput) => {
    const taskArn = `arn:aws:ecs:eu-west-3:111122223333:task/${input.cluster}/${input.clientToken!.slice(0, 32)}`;
    if (!this.tasks.has(taskArn)) {
      const definition = this.definitions.get(input.taskDefinition!)!;
      this.tasks.set(taskArn, {
        taskArn,
        taskDefinitionArn: definition.taskDefinitionArn,
        startedBy: input.startedBy,
        lastStatus: 'PROVISIONING',
        desiredStatus: 'RUNNING',
        containers: definition.containerDefinitions!.map((c) => ({ name: c.name, image: c.image, lastStatus: 'PENDING' })),
        createdAt: new Date(this.now()),
      });
    }
    return { tasks: [this.tasks.get(taskArn)], failures: [] };
  };

  /** A task ECS already runs, as another reconciler left it. */
  put(task: Task): void {
    this.tasks.set(task.taskArn!, task);
  }
}
