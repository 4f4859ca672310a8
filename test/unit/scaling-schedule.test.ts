import { parseResourceId, parseSchedule } from '../../lib/domain/scaling';

describe('Application Auto Scaling schedule expressions', () => {
  it.each([
    'at(2030-01-01T08:00:00)',
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(2 days)',
    'cron(0 8 ? * MON-FRI *)',
    'cron(*/15 9-17 * * ? 2030)',
    'cron(0 0 1,15 JAN-MAR ? *)',
  ])('takes %s', (expression) => expect(parseSchedule(expression)).toBeDefined());

  it.each([
    'at(2030-01-01 08:00:00)',
    'rate(0 minutes)',
    'rate(5 weeks)',
    'cron(0 8 * * * *)',
    'cron(0 8 ? * ? *)',
    'cron(61 8 ? * MON *)',
    'cron(0 24 ? * MON *)',
    'cron(0 8 ? * MON)',
    'cron(*/0 8 ? * MON *)',
    'cron(5-1 8 ? * MON *)',
    'every day',
  ])('refuses %s', (expression) => expect(parseSchedule(expression)).toBeUndefined());

  it('reads cron fields as sets, days of the week from Sunday = 0', () => {
    const schedule = parseSchedule('cron(*/20 8 ? * MON-FRI *)');
    expect(schedule).toMatchObject({ kind: 'cron' });
    if (schedule?.kind !== 'cron') return;
    expect([...schedule.fields.minutes]).toEqual([0, 20, 40]);
    expect([...schedule.fields.daysOfWeek!]).toEqual([1, 2, 3, 4, 5]);
    expect(schedule.fields.daysOfMonth).toBeUndefined();
  });

  it('names the service of a resource id, and nothing else', () => {
    expect(parseResourceId('service/web/api')).toEqual({ clusterName: 'web', serviceName: 'api' });
    expect(parseResourceId('service/web')).toBeUndefined();
    expect(parseResourceId('table/web')).toBeUndefined();
    expect(parseResourceId('service/web/api/extra')).toBeUndefined();
  });
});
