import * as z from 'zod';
import { COMPARISON_OPERATORS, STATISTICS, type AlarmState, type ComparisonOperator, type Statistic } from './metrics';
import type { EpochMs } from './model';
import { lazySchema } from './validation';

/**
 * CloudWatch's records and inputs, in CloudWatch's member names. The AWS CLI speaks CloudWatch's
 * query protocol (every value a string) and the SDK AWS JSON 1.0 (numbers, booleans, epoch-second
 * timestamps): the schemas take both, so one schema checks both faces.
 */
export interface MetricIdentity {
  Namespace: string;
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: string }>;
}

export interface CustomDatapoint {
  Timestamp: EpochMs;
  Value?: number;
  Values?: number[];
  Counts?: number[];
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Unit?: string;
}

export interface Alarm extends MetricIdentity {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: AlarmState;
  StateReason: string;
  StateUpdatedTimestamp: EpochMs;
  AlarmConfigurationUpdatedTimestamp: EpochMs;
  Statistic: Statistic;
  Period: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold: number;
  ComparisonOperator: ComparisonOperator;
  TreatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A number, or its text (the query protocol's). */
export const numberMember = () => z.union([z.number(), z.string().regex(NUMBER, 'must be a number').transform(Number)]).pipe(z.number().finite());
export const integerMember = (min: number, max: number) => numberMember().pipe(z.number().int().min(min).max(max));
export const booleanMember = () => z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);
/** Epoch seconds (AWS JSON) or an ISO 8601 text (the query protocol), as epoch milliseconds. */
export const timestampMember = () =>
  z
    .union([
      z.number().transform((seconds) => seconds * 1000),
      z
        .string()
        .max(64)
        .transform((text, context) => {
          const ms = NUMBER.test(text) ? Number(text) * 1000 : Date.parse(text);
          if (Number.isNaN(ms)) context.addIssue({ code: 'custom', message: 'must be a timestamp (ISO 8601 or epoch seconds)' });
          return ms;
        }),
    ])
    .pipe(z.number().min(0).max(253_402_300_799_000));

const name = () => z.string().min(1).max(255);
const dimensions = () => z.array(z.object({ Name: name(), Value: z.string().min(1).max(1024) }).strict()).max(30);
const statistic = () => z.enum(STATISTICS as [Statistic, ...Statistic[]]);
/** CloudWatch's periods: 1, 5, 10, 20, 30 s (high resolution) or a multiple of 60. */
const period = () => integerMember(1, 86_400 * 455).refine((value) => value % 60 === 0 || [1, 5, 10, 20, 30].includes(value), 'must be 1, 5, 10, 20, 30 or a multiple of 60');

const metric = () => z.object({ Namespace: name(), MetricName: name(), Dimensions: dimensions().optional() }).strict();

export const getMetricStatisticsInput = lazySchema(() =>
  z
    .object({
      Namespace: name(),
      MetricName: name(),
      Dimensions: dimensions().optional(),
      StartTime: timestampMember(),
      EndTime: timestampMember(),
      Period: period(),
      Statistics: z.array(statistic()).min(1).max(5).optional(),
      ExtendedStatistics: z.array(z.string().min(1).max(32)).max(10).optional(),
      Unit: z.string().min(1).max(32).optional(),
    })
    .strict(),
);

export const getMetricDataInput = lazySchema(() =>
  z
    .object({
      MetricDataQueries: z
        .array(
          z
            .object({
              Id: z.string().regex(/^[a-z][a-zA-Z0-9_]{0,254}$/, 'must start with a lowercase letter and hold letters, digits and underscores'),
              MetricStat: z
                .object({ Metric: metric(), Period: period(), Stat: z.string().min(1).max(32), Unit: z.string().min(1).max(32).optional() })
                .strict()
                .optional(),
              Expression: z.string().min(1).max(2048).optional(),
              Label: z.string().max(1024).optional(),
              ReturnData: booleanMember().optional(),
              Period: period().optional(),
              AccountId: z.string().max(255).optional(),
            })
            .strict(),
        )
        .min(1)
        .max(500),
      StartTime: timestampMember(),
      EndTime: timestampMember(),
      NextToken: z.string().max(1024).optional(),
      ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
      MaxDatapoints: integerMember(1, 100_800).optional(),
      LabelOptions: z.object({ Timezone: z.string().max(16).optional() }).strict().optional(),
    })
    .strict(),
);

export const listMetricsInput = lazySchema(() =>
  z
    .object({
      Namespace: name().optional(),
      MetricName: name().optional(),
      Dimensions: z.array(z.object({ Name: name(), Value: z.string().min(1).max(1024).optional() }).strict()).max(10).optional(),
      NextToken: z.string().max(1024).optional(),
      RecentlyActive: z.literal('PT3H').optional(),
      IncludeLinkedAccounts: booleanMember().optional(),
      OwningAccount: z.string().max(255).optional(),
    })
    .strict(),
);

const actions = () => z.array(z.string().min(1).max(1024)).max(5);

export const putMetricAlarmInput = lazySchema(() =>
  z
    .object({
      AlarmName: z.string().min(1).max(255),
      AlarmDescription: z.string().max(1024).optional(),
      ActionsEnabled: booleanMember().optional(),
      OKActions: actions().optional(),
      AlarmActions: actions().optional(),
      InsufficientDataActions: actions().optional(),
      MetricName: name(),
      Namespace: name(),
      Statistic: statistic(),
      Dimensions: dimensions().optional(),
      Period: period(),
      Unit: z.string().min(1).max(32).optional(),
      EvaluationPeriods: integerMember(1, 1440),
      DatapointsToAlarm: integerMember(1, 1440).optional(),
      Threshold: numberMember(),
      ComparisonOperator: z.enum(COMPARISON_OPERATORS as [ComparisonOperator, ...ComparisonOperator[]]),
      TreatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).optional(),
      Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) }).strict()).max(50).optional(),
    })
    .strict(),
);

export const describeAlarmsInput = lazySchema(() =>
  z
    .object({
      AlarmNames: z.array(z.string().min(1).max(255)).max(100).optional(),
      AlarmNamePrefix: z.string().min(1).max(255).optional(),
      AlarmTypes: z.array(z.enum(['CompositeAlarm', 'MetricAlarm'])).max(2).optional(),
      StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
      ActionPrefix: z.string().min(1).max(1024).optional(),
      MaxRecords: integerMember(1, 100).optional(),
      NextToken: z.string().max(1024).optional(),
      ChildrenOfAlarmName: z.string().max(255).optional(),
      ParentsOfAlarmName: z.string().max(255).optional(),
    })
    .strict(),
);

export const deleteAlarmsInput = lazySchema(() => z.object({ AlarmNames: z.array(z.string().min(1).max(255)).min(1).max(100) }).strict());

export const putMetricDataInput = lazySchema(() =>
  z
    .object({
      Namespace: name().refine((namespace) => !namespace.startsWith('AWS/'), 'must not start with "AWS/", which AWS services use'),
      MetricData: z
        .array(
          z
            .object({
              MetricName: name(),
              Dimensions: dimensions().optional(),
              Timestamp: timestampMember().optional(),
              Value: numberMember().optional(),
              StatisticValues: z
                .object({ SampleCount: numberMember(), Sum: numberMember(), Minimum: numberMember(), Maximum: numberMember() })
                .strict()
                .optional(),
              Values: z.array(numberMember()).max(150).optional(),
              Counts: z.array(numberMember()).max(150).optional(),
              Unit: z.string().min(1).max(32).optional(),
              StorageResolution: integerMember(1, 60).optional(),
            })
            .strict(),
        )
        .min(1)
        .max(1000),
      StrictEntityValidation: booleanMember().optional(),
    })
    .strict(),
);
