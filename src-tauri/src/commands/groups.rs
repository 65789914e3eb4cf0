//! Groups: listing, the detail screen (with members and meeting series), and the group form.

use mutua_api::{
    ApiError, ArchiveGroup, Group, GroupDetail, GroupForm, GroupsRequest, IdRequest, UpdateGroup,
};
use tauri::{AppHandle, Runtime};

use crate::convert;
use crate::state::{with_store, with_store_shared};

#[tauri::command]
pub async fn groups<R: Runtime>(
    app: AppHandle<R>,
    request: GroupsRequest,
) -> Result<Vec<Group>, ApiError> {
    with_store(app, move |m| {
        let groups = m.groups(request.include_archived)?;
        Ok(groups.into_iter().map(convert::group).collect())
    })
    .await
}

#[tauri::command]
pub async fn group<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<GroupDetail, ApiError> {
    with_store(app, move |m| {
        let group = m.find_group(&request.id)?;
        let me = m.member_id().to_owned();
        Ok(GroupDetail {
            members: m
                .members(&group.id)?
                .into_iter()
                .map(|member| convert::member(member, &me))
                .collect(),
            series: m
                .series(Some(&group.id))?
                .into_iter()
                .map(convert::series)
                .collect(),
            group: convert::group(group),
        })
    })
    .await
}

#[tauri::command]
pub async fn create_group<R: Runtime>(
    app: AppHandle<R>,
    request: GroupForm,
) -> Result<Group, ApiError> {
    with_store_shared(app, move |m| {
        let group = m.create_group(convert::group_fields(request))?;
        Ok(convert::group(group))
    })
    .await
}

#[tauri::command]
pub async fn update_group<R: Runtime>(
    app: AppHandle<R>,
    request: UpdateGroup,
) -> Result<Group, ApiError> {
    with_store_shared(app, move |m| {
        let group = m.update_group(&request.id, convert::group_fields(request.form))?;
        Ok(convert::group(group))
    })
    .await
}

#[tauri::command]
pub async fn archive_group<R: Runtime>(
    app: AppHandle<R>,
    request: ArchiveGroup,
) -> Result<Group, ApiError> {
    with_store_shared(app, move |m| {
        let group = m.set_group_archived(&request.id, request.archived)?;
        Ok(convert::group(group))
    })
    .await
}

/// Leaves the group on all of this member's devices; its history stays with the others.
#[tauri::command]
pub async fn leave_group<R: Runtime>(
    app: AppHandle<R>,
    request: IdRequest,
) -> Result<(), ApiError> {
    with_store_shared(app, move |m| {
        m.leave_group(&request.id)?;
        Ok(())
    })
    .await
}
